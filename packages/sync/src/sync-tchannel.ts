import { MessageChannel, type MessagePort, Worker, receiveMessageOnPort } from "node:worker_threads";
import {
  type ArgScheme,
  type CallDescription,
  type CallResult,
  ChannelClosedError,
  InvalidArgumentError,
  type RawCallOptions,
  Response,
  type RetryCategory,
  type SchemeCallOptions,
  TChannel,
  TChannelError,
  type TChannelOptions,
  TimeoutError,
  ERROR_CLASSES_BY_NAME,
  TCHANNEL_OPTION_NAMES,
  type TChannelErrorClass,
  errorFromWire,
  rawScheme,
  schemeCallOptions,
  schemeResponse,
  syncCallInterceptor,
} from "@tchannel/channel";
import { IdTable } from "@tchannel/frame";
import { type JsonHeaders, jsonScheme } from "@tchannel/json";
import {
  OneWayNotSupportedError,
  ThriftCodecError,
  type ThriftCallOptions,
  type ThriftHeaders,
  type ThriftRequest,
  ValueExpectedError,
  thriftCallOptions,
  thriftResponse,
} from "@tchannel/thrift";
import { z } from "zod";
import { listensInThisProcess } from "./deadlock.js";
import { DEAD, SEQ, STATE, type WireCallOptions, type WireError, type WorkerInit, type WorkerReply, type WorkerRequest, compactBytes, toBuffer } from "./protocol.js";
import {
  InvokeOptionsSchema,
  RAW_CALL_OPTION_NAMES,
  SCHEME_CALL_OPTION_NAMES,
  SyncCallOptionsSchema,
  SyncOnlyOptionsSchema,
  THRIFT_CALL_OPTION_NAMES,
  argumentError,
  checkKnownOptions,
} from "./argument-validation.js";
import { type Outcome, SyncPendingCall } from "./pending-call.js";
import { extensionUrl } from "./worker-extension.js";
import { workerUrl } from "./worker-path.js";

export interface SyncTChannelOptions extends TChannelOptions {
  /** How long the first call (or the first after a restart) waits for the worker to start; default 10 000 ms. */
  startupTimeout?: number;
  /**
   * Modules the worker imports at start, each default-exporting a `SyncWorkerExtensionFactory`
   * whose operations `invoke(name, args)` runs: URLs, `file:` URLs or paths (relative to the
   * working directory) of JavaScript the worker can import (not TypeScript).
   */
  workerExtensions?: readonly (string | URL)[];
}

export interface InvokeOptions {
  /** How long the operation may take before `invoke` throws TimeoutError; default: the client's `timeout`. */
  timeout?: number;
  /**
   * Run the operation again, with the same args, on every worker started after this one (after a
   * crash or a hang), so state it sets up in the worker (an advertisement, routers) survives.
   */
  replay?: boolean;
}

/** `sync.raw`, `sync.json`: call with the scheme; the call blocks and returns the `Response`. */
export interface SyncSchemeClient<Body, Headers> {
  (options: SchemeCallOptions<Body, Headers>): Response<Body, Headers>;
  readonly scheme: ArgScheme<Body, Headers>;
}

/** The sync client's worker thread died (it restarts on the next call); the call may have run. */
export class SyncWorkerError extends TChannelError {
  readonly code = "TCHANNEL_SYNC_WORKER";
  readonly wireCode = undefined;
  readonly retry: RetryCategory = "maybe-retryable";
}

/** Time the caller waits beyond a call's own timeout before it declares the worker hung. */
const HANG_GRACE_MS = 500;
/** Budgets for the worker's own work: setting routers, closing its channel. */
const LOAD_TIMEOUT_MS = 10_000;
const CLOSE_TIMEOUT_MS = 2_000;
const DEFAULT_TIMEOUT_MS = 30_000; // the async TChannel's default `timeout`

/** The classes an error from the worker is rebuilt as: the channel's, thrift's and ours. */
const ERROR_CLASSES: Record<string, TChannelErrorClass> = {
  ...ERROR_CLASSES_BY_NAME,
  OneWayNotSupportedError,
  ValueExpectedError,
  SyncWorkerError: SyncWorkerError as unknown as TChannelErrorClass,
};
/** Every option `new SyncTChannel` knows: the TChannel ones and its own (a misspelt one is an error naming the nearest). */
const SYNC_OPTION_NAMES: readonly string[] = [...TCHANNEL_OPTION_NAMES, "startupTimeout", "workerExtensions"];
const STANDARD_ERRORS: Record<string, ErrorConstructor> = { TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError };

interface WorkerHandle {
  worker: Worker;
  port: MessagePort;
  shared: Int32Array;
  /** Why it ended, when the event loop got to see 'error' or 'exit'. */
  ended: string | undefined;
}

/** A request posted to the worker (or the worker's start) and not answered yet. */
interface InFlight {
  id: number;
  handle: WorkerHandle;
  /** When the caller stops waiting and declares the worker hung (performance.now() time). */
  deadline: number;
  waitMs: number;
  call: CallDescription;
  outcome: Outcome<unknown> | undefined;
}

/** `sync.start.raw(...)` and the rest: each starts the call and returns at once with its handle. */
export interface SyncCallStarter {
  call(options: RawCallOptions): SyncPendingCall<CallResult>;
  raw(options: SchemeCallOptions<Buffer, Buffer>): SyncPendingCall<Response<Buffer, Buffer>>;
  json(options: SchemeCallOptions<unknown, JsonHeaders>): SyncPendingCall<Response<unknown, JsonHeaders>>;
  thrift<Result>(request: ThriftRequest<Result>, options?: ThriftCallOptions): SyncPendingCall<Response<Result, ThriftHeaders>>;
  scheme<Body, Headers>(scheme: ArgScheme<Body, Headers>, options: SchemeCallOptions<Body, Headers>): SyncPendingCall<Response<Body, Headers>>;
}

/** The results of `all(calls)`, in the calls' order. */
export type SyncResults<T extends readonly SyncPendingCall<unknown>[]> = { -readonly [K in keyof T]: T[K] extends SyncPendingCall<infer R> ? R : never };

/**
 * A synchronous TChannel client (tchannel-python's `tchannel.sync.TChannel`): `raw`, `json`,
 * `thrift` and `call` block the calling thread and return the `Response` (or throw the same
 * errors as the async client). `start.raw(...)` and the rest start a call and return at once
 * with a handle (`result()` blocks for it), and `all([...])` blocks once for several: the worker
 * runs them concurrently. The I/O runs in a worker thread that owns an async `TChannel`, started
 * by the first call; it never holds the process open. Client only: nothing is served.
 *
 * Never call a server that runs on the calling thread: that thread is blocked until the call
 * ends, so the server cannot answer, and the call times out (see the README).
 */
export class SyncTChannel {
  readonly name: string;
  /** `sync.raw({ service, endpoint, body, headers, hostPort, timeout, ... })`: bodies are Buffers. */
  readonly raw: SyncSchemeClient<Buffer, Buffer>;
  /** `sync.json({ service, endpoint, body, headers, ... })`. */
  readonly json: SyncSchemeClient<unknown, JsonHeaders>;
  /**
   * Starts calls without blocking: `const a = sync.start.raw({...}); const b = sync.start.json({...});`
   * then `sync.all([a, b])` or `a.result()`. Options are checked at once (an argument error is
   * thrown here); every other failure is the handle's, thrown by `result()`.
   */
  readonly start: SyncCallStarter;
  readonly #options: TChannelOptions;
  readonly #timeout: number;
  readonly #startupTimeout: number;
  readonly #extensions: string[];
  /** Invocations to run again in each new worker (`invoke(..., { replay: true })`). */
  readonly #replays: { name: string; args: unknown; timeout: number | undefined }[] = [];
  /** Not a Map: one entry per call, see IdTable in @tchannel/frame. */
  readonly #inFlight = new IdTable<InFlight>();
  #routers: string[] = [];
  #worker: WorkerHandle | undefined;
  #nextId = 1;
  #starts = 0;
  #closed = false;

  constructor(options: SyncTChannelOptions) {
    const { startupTimeout, workerExtensions, ...channelOptions } = options ?? ({} as SyncTChannelOptions);
    const own = SyncOnlyOptionsSchema.safeParse({ startupTimeout, workerExtensions });
    if (!own.success) throw argumentError("SyncTChannel options", own.error, { startupTimeout, workerExtensions }, SYNC_OPTION_NAMES);
    this.#extensions = (workerExtensions ?? []).map(extensionUrl);
    // Validates the options exactly as the async client does (a channel that never calls opens
    // nothing), as an argument error rather than its raw ZodError.
    try {
      new TChannel(channelOptions);
    } catch (err) {
      // The core reports bad options as one InvalidArgumentError whose cause is the ZodError:
      // worded again as this class's options (a misspelt `startupTimout` is near a name of ours).
      if (err instanceof InvalidArgumentError && err.cause instanceof z.ZodError) throw argumentError("SyncTChannel options", err.cause, channelOptions, SYNC_OPTION_NAMES);
      throw err;
    }
    this.name = channelOptions.name;
    this.#options = channelOptions;
    this.#timeout = channelOptions.timeout ?? DEFAULT_TIMEOUT_MS;
    this.#startupTimeout = startupTimeout ?? 10_000;
    this.raw = this.scheme(rawScheme);
    this.json = this.scheme(jsonScheme);
    this.start = {
      call: (o) => {
        checkKnownOptions(o, RAW_CALL_OPTION_NAMES);
        return this.#startCall(o);
      },
      raw: (o) => this.#startScheme(rawScheme, o),
      json: (o) => this.#startScheme(jsonScheme, o),
      thrift: (request, o = {}) => {
        checkKnownOptions(o, THRIFT_CALL_OPTION_NAMES);
        const started = this.#startCall(encodeThrift(request, o));
        return mapPending(started, (result) => thriftResponse(request, result, o.service ?? request.service));
      },
      scheme: (scheme, o) => this.#startScheme(scheme, o),
    };
  }

  /** Binds an arg scheme: a blocking client for it (`raw` and `json` are two). */
  scheme<Body, Headers>(scheme: ArgScheme<Body, Headers>): SyncSchemeClient<Body, Headers> {
    const client = ((options: SchemeCallOptions<Body, Headers>) => this.#callWithScheme(scheme, options)) as SyncSchemeClient<Body, Headers>;
    Object.defineProperty(client, "scheme", { value: scheme });
    return client;
  }

  /**
   * A low-level call with the args as bytes, as `TChannel.call`; an application error returns
   * `ok: false`. Every scheme (raw, json, thrift, any other) ends here, and an interceptor set with
   * `setSyncCallInterceptor` of @tchannel/channel (e.g. a @tchannel/vcr cassette) sees the call
   * first, on the calling thread.
   */
  call(options: RawCallOptions): CallResult {
    checkKnownOptions(options, RAW_CALL_OPTION_NAMES);
    return this.#call(options);
  }

  /** `call` for options a scheme encoded (they carry the scheme's own keys, checked at its entry). */
  #call(options: RawCallOptions): CallResult {
    checkCallOptions(options);
    const interceptor = syncCallInterceptor();
    if (interceptor !== undefined) return interceptor(options, this, (o) => this.#blockingCall(o));
    return this.#blockingCall(options);
  }

  /**
   * Blocks once until every started call has ended, then returns their results in order, or
   * throws the error of the first that failed (in the list's order; each handle's `result()`
   * still gives its own). The calls ran concurrently in the worker: 10 calls of 50 ms take about
   * 50 ms, not 500. Handles of other SyncTChannels may be in the list.
   */
  all<const T extends readonly SyncPendingCall<unknown>[]>(calls: T): SyncResults<T> {
    const outcomes = calls.map((c): Outcome<unknown> => {
      try {
        return { ok: true, value: c.result() };
      } catch (error) {
        return { ok: false, error };
      }
    });
    const failed = outcomes.find((o) => !o.ok);
    if (failed && !failed.ok) throw failed.error;
    return outcomes.map((o) => (o as { value: unknown }).value) as SyncResults<T>;
  }

  /** The peers calls without a `hostPort` choose from (the `knownPeers` option). */
  get knownPeers(): readonly string[] {
    return this.#options.knownPeers ?? [];
  }

  /**
   * `sync.thrift(kv.KeyValue.getValue({ key }), options)` with a request built from a module of
   * `loadThrift`: returns the `Response`, or throws the declared exception as an instance of the
   * module's class. Encoded and decoded on the calling thread, as the async client does, around
   * the low-level `call`.
   */
  thrift<Result>(request: ThriftRequest<Result>, options: ThriftCallOptions = {}): Response<Result, ThriftHeaders> {
    checkKnownOptions(options, THRIFT_CALL_OPTION_NAMES);
    const result = this.#call(encodeThrift(request, options));
    return thriftResponse(request, result, options.service ?? request.service);
  }

  /**
   * Sets the routers (e.g. Hyperbahn's) that carry calls with no `hostPort` when this client has
   * no known peers, as `TChannel.setRouters` does; a restarted worker gets them too. An empty list
   * removes them.
   */
  setRouters(hostPorts: readonly string[]): void {
    if (this.#closed) throw new ChannelClosedError("setRouters on a closed channel", {});
    if (!Array.isArray(hostPorts)) throw new InvalidArgumentError(`expected an array of host:port, got ${typeof hostPorts}`);
    for (const hostPort of hostPorts) {
      if (typeof hostPort !== "string" || !/^.+:\d+$/.test(hostPort)) throw new InvalidArgumentError(`expected host:port, got ${JSON.stringify(hostPort)}`);
    }
    this.#routers = [...hostPorts];
    // A worker that has not started yet gets them with its start.
    if (this.#worker) this.#request({ op: "setRouters", routers: this.#routers }, [], LOAD_TIMEOUT_MS, {});
  }

  /**
   * Runs the operation `name` of one of the `workerExtensions` in the worker, blocking until it
   * settles, and returns its result. Args and result cross threads by structured clone (a Buffer
   * arrives as a Uint8Array); what the operation throws is thrown here, as the same class for the
   * TChannel and standard error classes.
   */
  invoke<T = unknown>(name: string, args?: unknown, options: InvokeOptions = {}): T {
    if (typeof name !== "string") throw new InvalidArgumentError(`invoke: expected an operation name, got ${typeof name}`);
    const checked = InvokeOptionsSchema.safeParse(options);
    if (!checked.success) throw argumentError("invoke options", checked.error, options, Object.keys(InvokeOptionsSchema.shape));
    const value = this.#request<T>({ op: "invoke", name, args }, [], this.#waitFor(options.timeout), {});
    if (options.replay) this.#replays.push({ name, args, timeout: options.timeout });
    return value;
  }

  /** Closes the worker's channel and ends the worker. Later calls throw ChannelClosedError. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const handle = this.#worker;
    if (!handle) return;
    try {
      this.#request({ op: "close" }, [], CLOSE_TIMEOUT_MS, {}, handle);
    } catch {
      // it is going away regardless
    } finally {
      this.#dispose(handle);
    }
  }

  /** @internal Test hook: how many worker threads this client has started. */
  get _workerStarts(): number {
    return this.#starts;
  }

  /** @internal Test hook: make the worker throw an uncaught exception right after it answers. */
  _crashWorker(): void {
    this.#request({ op: "test:crash" }, [], LOAD_TIMEOUT_MS, {});
  }

  /** @internal Test hook: make the worker block its event loop for `ms` right after it answers. */
  _hangWorker(ms: number): void {
    this.#request({ op: "test:hang", ms }, [], LOAD_TIMEOUT_MS, {});
  }

  #callWithScheme<Body, Headers>(scheme: ArgScheme<Body, Headers>, options: SchemeCallOptions<Body, Headers>): Response<Body, Headers> {
    // The same two halves as the async TChannel's scheme client, so the same errors (but a
    // request the scheme cannot encode is the caller's argument error).
    checkKnownOptions(options, SCHEME_CALL_OPTION_NAMES);
    return schemeResponse(scheme, options, this.#call(encodeScheme(scheme, options)));
  }

  #startScheme<Body, Headers>(scheme: ArgScheme<Body, Headers>, options: SchemeCallOptions<Body, Headers>): SyncPendingCall<Response<Body, Headers>> {
    checkKnownOptions(options, SCHEME_CALL_OPTION_NAMES);
    const started = this.#startCall(encodeScheme(scheme, options));
    return mapPending(started, (result) => schemeResponse(scheme, options, result));
  }

  /**
   * Starts a low-level call. Inside a cassette (a sync call interceptor) the call is answered or
   * recorded on this thread now, in call order, so its handle has ended already.
   */
  #startCall(options: RawCallOptions): SyncPendingCall<CallResult> {
    checkCallOptions(options);
    const interceptor = syncCallInterceptor();
    if (interceptor !== undefined) return SyncPendingCall.settled(settle(() => interceptor(options, this, (o) => this.#blockingCall(o))));
    let flight: InFlight;
    try {
      flight = this.#postCall(options);
    } catch (error) {
      return SyncPendingCall.settled({ ok: false, error });
    }
    return new SyncPendingCall(
      () => settle(() => this.#callResult(flight)),
      () => {
        if (flight.outcome === undefined) this.#drain(flight.handle);
        return flight.outcome !== undefined;
      },
    );
  }

  #blockingCall(options: RawCallOptions): CallResult {
    return this.#callResult(this.#postCall(options));
  }

  #postCall(options: RawCallOptions): InFlight {
    const endpoint = typeof options.arg1 === "string" ? options.arg1 : undefined;
    const describe: CallDescription = { service: options.service, endpoint, hostPort: options.hostPort };
    const transfer: ArrayBuffer[] = [];
    const wire: WireCallOptions = {
      ...this.#callOptions(options),
      service: options.service,
      scheme: options.scheme,
      arg1: typeof options.arg1 === "string" ? options.arg1 : compactBytes(options.arg1, transfer, false),
    };
    if (options.arg2 !== undefined) wire.arg2 = compactBytes(options.arg2, transfer, false);
    if (options.arg3 !== undefined) wire.arg3 = compactBytes(options.arg3, transfer, false);
    return this.#post({ op: "call", options: wire }, transfer, this.#waitFor(options.timeout), describe);
  }

  #callResult(flight: InFlight): CallResult {
    const r = this.#finish<CallResult>(flight);
    return { ...r, arg2: toBuffer(r.arg2), arg3: toBuffer(r.arg3) };
  }

  /** The per-call options that cross to the worker (everything but the args and the signal). */
  #callOptions(options: Omit<RawCallOptions, "scheme" | "arg1" | "service">): Omit<WireCallOptions, "scheme" | "arg1" | "service"> {
    if (options.signal !== undefined) {
      throw new InvalidArgumentError("the sync client does not take an AbortSignal: the calling thread is blocked until the call ends; use `timeout`");
    }
    const out: Omit<WireCallOptions, "scheme" | "arg1" | "service"> = {};
    if (options.timeout !== undefined) out.timeout = options.timeout;
    if (options.timeoutPerAttempt !== undefined) out.timeoutPerAttempt = options.timeoutPerAttempt;
    if (options.retryOn !== undefined) out.retryOn = options.retryOn;
    if (options.retryLimit !== undefined) out.retryLimit = options.retryLimit;
    if (options.hostPort !== undefined) out.hostPort = options.hostPort;
    if (options.shardKey !== undefined) out.shardKey = options.shardKey;
    if (options.routingDelegate !== undefined) out.routingDelegate = options.routingDelegate;
    if (options.callerName !== undefined) out.callerName = options.callerName;
    if (options.checksumType !== undefined) out.checksumType = options.checksumType;
    if (options.transportHeaders !== undefined) out.transportHeaders = options.transportHeaders;
    return out;
  }

  #waitFor(timeout: number | undefined): number {
    return (timeout ?? this.#timeout) + HANG_GRACE_MS;
  }

  /** Posts a request and blocks until its reply; throws the reply's error re-created here. */
  #request<T>(message: DistributiveOmit<WorkerRequest, "id">, transfer: ArrayBuffer[], waitMs: number, call: CallDescription, handle?: WorkerHandle): T {
    return this.#finish<T>(this.#post(message, transfer, waitMs, call, handle));
  }

  /** Posts a request to the worker (started if need be) without waiting for its reply. */
  #post(message: DistributiveOmit<WorkerRequest, "id">, transfer: ArrayBuffer[], waitMs: number, call: CallDescription, handle = this.#ensureWorker(call)): InFlight {
    const id = this.#nextId++;
    try {
      handle.port.postMessage({ ...message, id }, transfer);
    } catch (err) {
      // Args that cannot be structured-cloned: the caller's mistake, nothing was sent.
      throw new InvalidArgumentError(`cannot pass the request to the sync worker: ${(err as Error).message}`, {}, { cause: err });
    }
    return this.#track(id, handle, waitMs, call);
  }

  #track(id: number, handle: WorkerHandle, waitMs: number, call: CallDescription): InFlight {
    const flight: InFlight = { id, handle, deadline: performance.now() + waitMs, waitMs, call, outcome: undefined };
    this.#inFlight.set(id, flight);
    return flight;
  }

  /** Blocks until the request has its reply; returns its value or throws its error. */
  #finish<T>(flight: InFlight): T {
    this.#awaitReplies([flight]);
    const outcome = flight.outcome!;
    if (outcome.ok) return outcome.value as T;
    throw outcome.error;
  }

  /**
   * Sleeps until every one of `flights` has its reply. Replies to other requests in flight that
   * arrive meanwhile are kept for them. A request whose deadline passes means a hung worker: it
   * is replaced, and every request on it fails.
   */
  #awaitReplies(flights: readonly InFlight[]): void {
    for (;;) {
      const open = flights.filter((f) => f.outcome === undefined);
      if (open.length === 0) return;
      const handle = open[0]!.handle;
      const seen = Atomics.load(handle.shared, SEQ);
      this.#drain(handle);
      if (open[0]!.outcome !== undefined) continue;
      const now = performance.now();
      const overdue = open.find((f) => f.outcome === undefined && f.handle === handle && f.deadline <= now);
      if (overdue !== undefined) {
        this.#dispose(handle, (f) =>
          f === overdue
            ? withDeadlockHint(new TimeoutError(`request timed out after ${f.waitMs}ms: the sync worker did not answer (a new one starts on the next call)`, f.call))
            : new SyncWorkerError("the sync worker was replaced while this call was in flight: it did not answer another call in time (this call may have run; a new worker starts on the next call)", f.call),
        );
        continue;
      }
      const next = Math.min(...open.filter((f) => f.handle === handle).map((f) => f.deadline));
      Atomics.wait(handle.shared, SEQ, seen, Math.max(0, next - now));
    }
  }

  /** Takes every reply waiting on the worker's port to its request; a dying worker fails them all. */
  #drain(handle: WorkerHandle): void {
    for (let received = receiveMessageOnPort(handle.port); received !== undefined; received = receiveMessageOnPort(handle.port)) {
      const reply = received.message as WorkerReply;
      if ("crashed" in reply) {
        handle.ended = `${reply.crashed.name}: ${reply.crashed.message}`;
        // With nothing in flight (it died after its last answer), the next call reports it (#ensureWorker).
        if (this.#inFlight.values().some((f) => f.handle === handle)) {
          this.#dispose(handle, (f) => new SyncWorkerError(`the sync worker died during the call: ${handle.ended} (a new one starts on the next call)`, f.call));
        }
        return;
      }
      const flight = this.#inFlight.get(reply.id);
      // Else the late answer to a request given up on (its worker was replaced): dropped.
      if (flight === undefined || flight.handle !== handle) continue;
      this.#inFlight.delete(reply.id);
      flight.outcome = reply.ok ? { ok: true, value: reply.value } : { ok: false, error: withDeadlockHint(reviveError(reply.error)) };
    }
  }

  /** The running worker, or a new one; a worker that died since the last call is reported here. */
  #ensureWorker(call: CallDescription): WorkerHandle {
    if (this.#closed) throw new ChannelClosedError("call on a closed channel", call);
    const current = this.#worker;
    if (current && (Atomics.load(current.shared, STATE) === DEAD || current.ended !== undefined)) {
      let reason = current.ended ?? "it exited";
      for (let m = receiveMessageOnPort(current.port); m !== undefined; m = receiveMessageOnPort(current.port)) {
        const reply = m.message as WorkerReply;
        if ("crashed" in reply) reason = `${reply.crashed.name}: ${reply.crashed.message}`;
      }
      this.#dispose(current);
      throw new SyncWorkerError(`the sync worker died since the last call (${reason}); a new one starts on the next call`, call);
    }
    return current ?? this.#start(call);
  }

  #start(call: CallDescription): WorkerHandle {
    const shared = new Int32Array(new SharedArrayBuffer(8));
    const { port1, port2 } = new MessageChannel();
    const init: WorkerInit = { port: port2, shared: shared.buffer as SharedArrayBuffer, options: this.#options, extensions: this.#extensions, routers: this.#routers };
    const worker = new Worker(workerUrl(), { workerData: init, transferList: [port2], execArgv: workerExecArgv() });
    worker.unref(); // never hold the process open
    const handle: WorkerHandle = { worker, port: port1, shared, ended: undefined };
    worker.on("error", (err) => (handle.ended ??= `${err.name}: ${err.message}`));
    worker.on("exit", (code) => (handle.ended ??= `it exited with code ${code}`));
    this.#worker = handle;
    this.#starts++;
    // The worker's "ready" is reply 0.
    const ready = this.#track(0, handle, this.#startupTimeout, call);
    this.#awaitReplies([ready]);
    if (!ready.outcome!.ok) {
      this.#dispose(handle);
      const error = ready.outcome!.error;
      const why = error instanceof TimeoutError ? `it did not start within ${this.#startupTimeout}ms` : (handle.ended ?? (error as Error).message);
      throw new SyncWorkerError(`the sync worker failed to start: ${why}`, call, { cause: error });
    }
    for (const replay of this.#replays) {
      try {
        this.#request({ op: "invoke", name: replay.name, args: replay.args }, [], this.#waitFor(replay.timeout), call, handle);
      } catch (err) {
        this.#dispose(handle);
        throw new SyncWorkerError(`the sync worker restarted but could not run "${replay.name}" again: ${(err as Error).message}`, call, { cause: err });
      }
    }
    return handle;
  }

  /** Ends the worker; its requests still in flight fail (with `errorFor`'s error, or SyncWorkerError). */
  #dispose(handle: WorkerHandle, errorFor?: (flight: InFlight) => Error): void {
    if (this.#worker === handle) this.#worker = undefined;
    handle.port.close();
    handle.worker.terminate().catch(() => undefined);
    for (const flight of this.#inFlight.values()) {
      if (flight.handle !== handle) continue;
      this.#inFlight.delete(flight.id);
      flight.outcome = { ok: false, error: errorFor?.(flight) ?? new SyncWorkerError("the sync worker was stopped while this call was in flight (it may have run)", flight.call) };
    }
  }
}

/** Runs `fn`, keeping what it returns or throws. */
function settle<T>(fn: () => T): Outcome<T> {
  try {
    return { ok: true, value: fn() };
  } catch (error) {
    return { ok: false, error };
  }
}

/** A handle for what `fn` makes of the call's result (decoding it with its scheme). */
function mapPending<T, U>(pending: SyncPendingCall<T>, fn: (value: T) => U): SyncPendingCall<U> {
  return new SyncPendingCall(
    () => settle(() => fn(pending.result())),
    () => pending.done,
  );
}

/** Cheap checks of the common case; zod says what is wrong otherwise (never a hot-path parse). */
function checkCallOptions(options: RawCallOptions): void {
  if (typeof options !== "object" || options === null) throw new InvalidArgumentError(`invalid call options: expected an object, got ${options === null ? "null" : typeof options}`);
  const o = options as unknown as Record<string, unknown>;
  const fine =
    typeof o.service === "string" &&
    o.service !== "" &&
    typeof o.scheme === "string" &&
    (typeof o.arg1 === "string" || o.arg1 instanceof Uint8Array) &&
    (o.arg2 === undefined || o.arg2 instanceof Uint8Array) &&
    (o.arg3 === undefined || o.arg3 instanceof Uint8Array) &&
    (o.timeout === undefined || (Number.isInteger(o.timeout) && (o.timeout as number) > 0)) &&
    (o.timeoutPerAttempt === undefined || (Number.isInteger(o.timeoutPerAttempt) && (o.timeoutPerAttempt as number) > 0)) &&
    (o.retryLimit === undefined || (Number.isInteger(o.retryLimit) && (o.retryLimit as number) >= 0)) &&
    (o.hostPort === undefined || (typeof o.hostPort === "string" && /^.+:\d+$/.test(o.hostPort))) &&
    (o.retryOn === undefined || o.retryOn === "c" || o.retryOn === "t" || o.retryOn === "ct" || o.retryOn === "tc" || o.retryOn === "n") &&
    (o.shardKey === undefined || typeof o.shardKey === "string") &&
    (o.routingDelegate === undefined || typeof o.routingDelegate === "string") &&
    (o.callerName === undefined || (typeof o.callerName === "string" && o.callerName !== "")) &&
    (o.checksumType === undefined || o.checksumType === 0 || o.checksumType === 1 || o.checksumType === 2 || o.checksumType === 3) &&
    (o.transportHeaders === undefined || stringRecord(o.transportHeaders));
  if (fine) return;
  const checked = SyncCallOptionsSchema.safeParse(options);
  if (!checked.success) throw argumentError("call options", checked.error, options);
}

function stringRecord(value: unknown): boolean {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  for (const key in value) if (typeof (value as Record<string, unknown>)[key] !== "string") return false;
  return true;
}

/**
 * The scheme's half of a call, on the calling thread, as the async client's: headers and body
 * that the scheme cannot encode (a json header that is not a string, a body JSON cannot hold) are
 * the caller's InvalidArgumentError, not BadRequestError (which says the remote peer refused it).
 */
function encodeScheme<Body, Headers>(scheme: ArgScheme<Body, Headers>, options: SchemeCallOptions<Body, Headers>): RawCallOptions {
  return schemeCallOptions(scheme, options);
}

function encodeThrift<Result>(request: ThriftRequest<Result>, options: ThriftCallOptions): RawCallOptions {
  return thriftCallOptions(request, options);
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** The error the worker threw, as the same class here (its stack is the caller's). */
function reviveError(w: WireError): Error {
  const cause = w.cause === undefined ? undefined : reviveError(w.cause);
  const options = cause === undefined ? undefined : { cause };
  const Cls = ERROR_CLASSES[w.name];
  const tchannelError = Cls ? new Cls(w.message, w.call ?? {}, options) : w.wireCode !== undefined && w.code?.startsWith("TCHANNEL_") ? errorFromWire(w.wireCode, w.message, w.call) : undefined;
  if (tchannelError) {
    tchannelError.fromPeer = w.fromPeer === true;
    return tchannelError;
  }
  if (w.name === "ThriftCodecError" && w.path !== undefined) {
    const err = new ThriftCodecError(w.path, "");
    err.message = w.message;
    return err;
  }
  const err = new (STANDARD_ERRORS[w.name] ?? Error)(w.message, options);
  if (err.name !== w.name) err.name = w.name;
  return err;
}

/** A timeout calling a port this process listens on is most likely the sync-call deadlock: say so. */
function withDeadlockHint(err: Error): Error {
  if (err instanceof TimeoutError && listensInThisProcess(err.hostPort)) {
    err.message +=
      ` — ${err.hostPort} is a port this process listens on: if its server runs on the thread that made this sync call,` +
      " it could never answer (the thread is blocked in the call). Run that server in another thread or process.";
  }
  return err;
}

/** Flags that take a value and must not reach the worker: export conditions, and the entry of `node -e/-p`. */
const DROPPED_WITH_VALUE = new Set(["--conditions", "-C", "--eval", "-e", "--print", "-p", "--input-type"]);
const DROPPED = new Set(["--interactive", "-i", "--check", "-c", "--test", "--watch"]);

/**
 * The worker's Node flags: the parent's, less export conditions (the worker must load built JS)
 * and less what names the parent's own entry: with `node -e script`, execArgv holds the script,
 * and a worker given it would run that script instead of its own file.
 */
function workerExecArgv(): string[] {
  const out: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const flag = a.startsWith("--") ? a.split("=", 1)[0]! : a;
    if (DROPPED_WITH_VALUE.has(flag)) {
      if (flag === a) i++; // the value is the next argument
    } else if (/^-C./.test(a) || DROPPED.has(flag)) {
      // -Cvalue, or a flag without a value
    } else out.push(a);
  }
  return out;
}
