/**
 * How a cassette treats calls, exactly as tchannel-python's `RecordMode` defines them:
 * - `once` (default): record if the cassette file did not exist; otherwise replay and refuse new calls;
 * - `new_episodes`: replay what matches, record the rest;
 * - `none`: replay what matches, refuse the rest;
 * - `all`: replay nothing, record everything, and forget what the file held.
 */
export type RecordModeName = "once" | "new_episodes" | "none" | "all";

export const RECORD_MODES: readonly RecordModeName[] = ["once", "new_episodes", "none", "all"];

export interface RecordMode {
  readonly name: RecordModeName;
  /** Whether recorded interactions are replayed. */
  readonly replayable: boolean;
  /** Whether new interactions may be recorded, given whether the file existed when loaded. */
  canRecord(existed: boolean): boolean;
  /** Whether a save keeps the loaded interactions that were not replayed. */
  readonly saveUnplayed: boolean;
}

const MODES: Record<RecordModeName, RecordMode> = {
  once: { name: "once", replayable: true, canRecord: (existed) => !existed, saveUnplayed: true },
  new_episodes: { name: "new_episodes", replayable: true, canRecord: () => true, saveUnplayed: true },
  none: { name: "none", replayable: true, canRecord: () => false, saveUnplayed: true },
  all: { name: "all", replayable: false, canRecord: () => true, saveUnplayed: false },
};

/** The mode of that name, whatever its case (`"NONE"` is `none`, as in tchannel-python). */
export function recordMode(name: string): RecordMode | undefined {
  const lower = name.toLowerCase();
  return Object.hasOwn(MODES, lower) ? MODES[lower as RecordModeName] : undefined;
}
