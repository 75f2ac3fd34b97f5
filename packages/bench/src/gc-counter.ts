import { type PerformanceEntry, PerformanceObserver, constants } from "node:perf_hooks";

/** Garbage collections in a window, by kind (Node's `gc` performance entries). */
export interface GcCounts {
  /** Young-generation collections (scavenges). */
  minor: number;
  /** Full collections (mark-compacts), incremental or not. */
  major: number;
}

/**
 * Counts this process's garbage collections between `mark()` and `read()`. Why (issue 18): at
 * 256 KiB the cost that separates us from the bare-net floor was mark-compacts, which CPU per call
 * shows only as a sum; the counts per 1,000 calls say which kind of GC a change moved.
 */
export class GcCounter {
  readonly #observer: PerformanceObserver;
  #counts: GcCounts = { minor: 0, major: 0 };

  constructor() {
    this.#observer = new PerformanceObserver((list) => this.#add(list.getEntries()));
    this.#observer.observe({ entryTypes: ["gc"] });
  }

  /** Starts the window: counts from zero. */
  mark(): void {
    this.#add(this.#observer.takeRecords());
    this.#counts = { minor: 0, major: 0 };
  }

  /** The counts since `mark()`, entries not yet delivered included. */
  read(): GcCounts {
    this.#add(this.#observer.takeRecords());
    return { ...this.#counts };
  }

  #add(entries: readonly PerformanceEntry[]): void {
    for (const e of entries) {
      const kind = (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) this.#counts.minor++;
      else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) this.#counts.major++;
    }
  }
}
