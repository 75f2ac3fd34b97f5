import {
  type CallInterceptor,
  type CallResult,
  type InterceptedChannel,
  type RawCallOptions,
  type TChannel,
  TChannelError,
  ERROR_CLASSES_BY_NAME,
  InvalidArgumentError,
  errorFromPeer,
  optionsError,
  type SyncCallInterceptor,
  setCallInterceptor,
  setSyncCallInterceptor,
} from "@tchannel/channel";
import { z } from "zod";
import { readCassetteFile, writeCassetteFile } from "./cassette-file.js";
import { parseCassette, serializeCassette } from "./cassette-yaml.js";
import { type CassetteRequest, type CassetteResponse, type ClosestInteraction, type Interaction, requestOf, showRequest } from "./interaction.js";
import { DEFAULT_MATCHERS, type MatcherFunction, type MatcherName, type NamedMatcher, resolveMatchers } from "./matchers.js";
import { jsonFromNh2Headers, pythonJsonSpelling } from "./python-json.js";
import { RECORD_MODES, type RecordMode, type RecordModeName, recordMode } from "./record-mode.js";
import { CannotRecordInteractionsError, VcrError } from "./vcr-errors.js";

export interface CassetteOptions {
  /** Default "once"; any case (`"NONE"`), as tchannel-python takes it. */
  recordMode?: RecordModeName | Uppercase<RecordModeName> | (string & {});
  /** Which fields must be equal for a call to replay a recorded interaction; default DEFAULT_MATCHERS. */
  matchOn?: ReadonlyArray<MatcherName | MatcherFunction>;
  /**
   * Whether a call the remote peer answered with an error frame (BusyError, a remote
   * TimeoutError, ...) is recorded, to be replayed as the same error: our extension of the format
   * (an `error:` entry), default true. tchannel-python records no such call and drops such entries
   * when it reads a cassette (a raw call then gets an empty code-1 response): set false for a
   * cassette meant for it. Local failures (a timeout measured here, a refused connection, no peer,
   * a cancel) are never recorded.
   */
  recordErrors?: boolean;
}

const OptionsSchema = z
  .object({
    recordMode: z.string().default("once"),
    matchOn: z.array(z.union([z.string(), z.custom<MatcherFunction>((v) => typeof v === "function", "expected a matcher name or function")])).default([...DEFAULT_MATCHERS]),
    recordErrors: z.boolean().default(true),
  })
  .strict();


const EMPTY = Buffer.alloc(0);

/**
 * A cassette: the interactions of one YAML file, and while inserted, the stand-in for every
 * outgoing call of every TChannel and SyncTChannel in this thread. Create and insert one with `useCassette`,
 * `withCassette` or `insertCassette`.
 */
export class Cassette {
  readonly path: string;
  /** Whether the file existed when the cassette was loaded. */
  readonly existed: boolean;
  readonly #mode: RecordMode;
  readonly #matchers: NamedMatcher[];
  readonly #recordErrors: boolean;
  /** Loaded and not yet replayed, in file order (with their position in the file). */
  #available: Array<{ index: number; interaction: Interaction }>;
  #played: Array<{ index: number; interaction: Interaction }> = [];
  #recorded: Interaction[] = [];
  #inserted: { async: CallInterceptor; sync: SyncCallInterceptor } | undefined;
  #previous: { async: CallInterceptor | undefined; sync: SyncCallInterceptor | undefined } | undefined;

  constructor(path: string, options: CassetteOptions = {}) {
    const parsed = OptionsSchema.safeParse(options);
    // A caller's mistake, typed as everywhere else (InvalidArgumentError); strict, so a misspelt
    // `recordMod` is an error naming the nearest option.
    if (!parsed.success) throw optionsError("cassette options", parsed.error, options, Object.keys(OptionsSchema.shape));
    this.path = path;
    const mode = recordMode(parsed.data.recordMode);
    if (mode === undefined) throw new InvalidArgumentError(`invalid cassette options: ${JSON.stringify(parsed.data.recordMode)} is not a known record mode (known: ${RECORD_MODES.join(", ")}, in any case)`);
    this.#mode = mode;
    this.#matchers = resolveMatchers(parsed.data.matchOn as Array<MatcherName | MatcherFunction>);
    this.#recordErrors = parsed.data.recordErrors;
    const text = readCassetteFile(path);
    this.existed = text !== undefined;
    this.#available = (text === undefined ? [] : parseCassette(text, path)).map((interaction, index) => ({ index, interaction }));
  }

  get recordMode(): RecordModeName {
    return this.#mode.name;
  }

  /** True when the record mode forbids recording new interactions. */
  get writeProtected(): boolean {
    return !this.#mode.canRecord(this.existed);
  }

  /** Responses replayed so far. */
  get playCount(): number {
    return this.#played.length;
  }

  /** Interactions recorded so far (saved on eject). */
  get recordCount(): number {
    return this.#recorded.length;
  }

  /** Every interaction known: replayed, not yet replayed, then newly recorded. */
  get interactions(): readonly Interaction[] {
    return [...this.#played.map((e) => e.interaction), ...this.#available.map((e) => e.interaction), ...this.#recorded];
  }

  get isInserted(): boolean {
    return this.#inserted !== undefined;
  }

  /**
   * Routes every outgoing call in this thread through the cassette until `eject()`: those of
   * `TChannel.call` and those of blocking clients (`SyncTChannel`), which share its interactions.
   */
  insert(): this {
    if (this.#inserted) throw new VcrError(`cassette ${this.path} is inserted already`);
    let previousAsync: CallInterceptor | undefined;
    let previousSync: SyncCallInterceptor | undefined;
    // An outer cassette (or other interceptor) still sees what this one passes on.
    const asyncInterceptor: CallInterceptor = (options, channel, next) =>
      this.#intercept(options, channel, previousAsync === undefined ? next : (o) => previousAsync!(o, channel, next));
    const syncInterceptor: SyncCallInterceptor = (options, channel, next) =>
      this.#interceptSync(options, channel, previousSync === undefined ? next : (o) => previousSync!(o, channel, next));
    previousAsync = setCallInterceptor(asyncInterceptor);
    previousSync = setSyncCallInterceptor(syncInterceptor);
    this.#previous = { async: previousAsync, sync: previousSync };
    this.#inserted = { async: asyncInterceptor, sync: syncInterceptor };
    return this;
  }

  /** Stops intercepting calls and saves what was recorded. */
  eject(): void {
    const inserted = this.#inserted;
    if (!inserted) return;
    const previous = this.#previous!;
    const currentAsync = setCallInterceptor(previous.async);
    const currentSync = setSyncCallInterceptor(previous.sync);
    if (currentAsync !== inserted.async || currentSync !== inserted.sync) {
      setCallInterceptor(currentAsync);
      setSyncCallInterceptor(currentSync);
      throw new VcrError(`cassette ${this.path} ejected while another was inserted after it: eject cassettes in reverse order`);
    }
    this.#inserted = undefined;
    this.save();
  }

  /**
   * Writes the cassette if anything was recorded: the interactions replayed (in the order they
   * were), those not replayed (unless the record mode forgets them), then the new ones, exactly
   * as tchannel-python orders them. The write is atomic.
   */
  save(): void {
    if (this.#recorded.length === 0) return;
    const interactions = this.#played.map((e) => e.interaction);
    if (this.#mode.saveUnplayed) interactions.push(...this.#available.map((e) => e.interaction));
    interactions.push(...this.#recorded);
    writeCassetteFile(this.path, serializeCassette(interactions));
    this.#played = [];
    this.#available = interactions.map((interaction, index) => ({ index, interaction }));
    this.#recorded = [];
  }

  #matches(call: CassetteRequest, recorded: CassetteRequest): boolean {
    return this.#matchers.every((m) => m.matches(call, recorded));
  }

  async #intercept(options: RawCallOptions, channel: TChannel, next: (options: RawCallOptions) => Promise<CallResult>): Promise<CallResult> {
    const step = this.#begin(options, channel);
    if (step.replayed) return replay(step.replayed, options, step.request);
    let result: CallResult;
    try {
      result = await next(options);
    } catch (err) {
      this.#recordError(step.request, err, options);
      throw err;
    }
    this.#recordResult(step.request, result);
    return result;
  }

  /** The same as `#intercept` for a blocking client: matching and recording need no I/O. */
  #interceptSync(options: RawCallOptions, channel: InterceptedChannel, next: (options: RawCallOptions) => CallResult): CallResult {
    const step = this.#begin(options, channel);
    if (step.replayed) return replay(step.replayed, options, step.request);
    let result: CallResult;
    try {
      result = next(options);
    } catch (err) {
      this.#recordError(step.request, err, options);
      throw err;
    }
    this.#recordResult(step.request, result);
    return result;
  }

  /**
   * The recorded response to replay for this call (taken off the available ones), or none when
   * the real call is to be made and recorded; throws when the record mode forbids that.
   */
  #begin(options: RawCallOptions, channel: InterceptedChannel): { request: CassetteRequest; replayed?: CassetteResponse } {
    const request = requestOf(options, channel);
    if (this.#mode.replayable) {
      const at = this.#available.findIndex((e) => this.#matches(request, e.interaction.request));
      if (at >= 0) {
        const [entry] = this.#available.splice(at, 1);
        this.#played.push(entry!);
        return { request, replayed: entry!.interaction.response };
      }
    }
    if (this.writeProtected) throw this.#cannotRecord(request);
    return { request };
  }

  #recordResult(request: CassetteRequest, result: CallResult): void {
    this.#recorded.push({ request: asPythonRecords(request), response: { code: result.code === 0 ? 0 : 1, headers: Buffer.from(result.arg2), body: Buffer.from(result.arg3) } });
  }

  /**
   * An error frame from the remote peer is its answer, so it is recorded (unless `recordErrors`
   * is false). Anything that arose here is not: a timeout measured here, a refused or lost
   * connection, no peer, a closed channel, a dead sync worker, the caller's own cancel. The next
   * run, with a longer timeout or the server back up, must make the call again.
   */
  #recordError(request: CassetteRequest, err: unknown, options: RawCallOptions): void {
    if (!this.#recordErrors || !(err instanceof TChannelError) || !err.fromPeer || err.wireCode === undefined || options.signal?.aborted) return;
    // Code 1 as well, so tchannel-python (which ignores `error`) fails the call instead of succeeding.
    this.#recorded.push({ request: asPythonRecords(request), response: { code: 1, headers: EMPTY, body: EMPTY, error: { code: err.wireCode, type: err.name, message: err.message } } });
  }

  #cannotRecord(request: CassetteRequest): CannotRecordInteractionsError {
    const why =
      this.#mode.name === "once"
        ? `record mode "once" records only into a new cassette, and ${this.path} existed`
        : `record mode "${this.#mode.name}" records nothing`;
    const closest = this.#closest(request);
    let shown: string;
    if (closest === undefined) shown = "  the cassette has no recorded interactions";
    else {
      const how = closest.played ? "matches, but was replayed already (each recorded interaction replays once)" : `differs in ${closest.differsIn.join(", ")}`;
      shown = `  the closest recorded interaction (#${closest.index + 1} in the file) ${how}:\n${showRequest(closest.request)}`;
    }
    return new CannotRecordInteractionsError(
      `no recorded interaction matches this call, and ${why}; your test may be making an unexpected call.\n  the call:\n${showRequest(request)}\n${shown}`,
      request,
      closest,
    );
  }

  #closest(request: CassetteRequest): ClosestInteraction | undefined {
    let best: ClosestInteraction | undefined;
    let bestScore = -1;
    const consider = (entry: { index: number; interaction: Interaction }, played: boolean) => {
      const differsIn = this.#matchers.filter((m) => !m.matches(request, entry.interaction.request)).map((m) => m.name);
      // A full match already played is the likeliest explanation; otherwise the fewest differences.
      const score = (this.#matchers.length - differsIn.length) * 2 + (played ? 0 : 1);
      if (score > bestScore) {
        bestScore = score;
        best = { index: entry.index, request: entry.interaction.request, differsIn, played: played && differsIn.length === 0 };
      }
    };
    for (const e of this.#available) consider(e, false);
    for (const e of this.#played) consider(e, true);
    return best;
  }
}

/**
 * The request as tchannel-python would have recorded the same call: json headers and body in
 * `json.dumps` spelling, which its VCR matches byte for byte. (Ours matches json as values.)
 */
function asPythonRecords(request: CassetteRequest): CassetteRequest {
  if (request.argScheme !== "json") return request;
  const respell = (bytes: Buffer) => {
    const spelled = pythonJsonSpelling(bytes.toString("utf8"));
    return spelled === undefined ? bytes : Buffer.from(spelled, "utf8");
  };
  return { ...request, headers: respell(request.headers), body: respell(request.body) };
}

/** Response headers for the json scheme: Python 0.15-0.20 recorded them in the nh:2 format. */
function jsonResponseHeaders(response: CassetteResponse, argScheme: string): Buffer {
  if (argScheme !== "json") return response.headers;
  const asJson = response.headers.length > 0 && response.headers[0] !== 0x7b ? jsonFromNh2Headers(response.headers) : undefined;
  return asJson === undefined ? response.headers : Buffer.from(asJson, "utf8");
}

/** The recorded answer, as the real call would have given it. */
function replay(response: CassetteResponse, options: RawCallOptions, request: CassetteRequest): CallResult {
  const hostPort = options.hostPort ?? request.hostPort;
  if (response.error) {
    const call = { service: options.service, endpoint: request.endpoint, hostPort: hostPort || undefined };
    const { code, type, message } = response.error;
    // The very class that was recorded, when its wire code agrees; else the class of the code.
    const Cls = ERROR_CLASSES_BY_NAME[type];
    const probe = Cls ? new Cls(message, call) : undefined;
    // The peer's answer when it was recorded, so an outer cassette records it too.
    throw probe !== undefined && probe.wireCode === code ? Object.assign(probe, { fromPeer: true }) : errorFromPeer(code, message, call);
  }
  return {
    ok: response.code === 0,
    code: response.code,
    arg2: Buffer.from(jsonResponseHeaders(response, request.argScheme)),
    arg3: Buffer.from(response.body),
    headers: { as: request.argScheme },
    hostPort,
  };
}
