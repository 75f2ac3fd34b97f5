import { MessageChannel, type MessagePort, Worker, receiveMessageOnPort } from "node:worker_threads";
import {
  type ArgScheme,
  BadRequestError,
  type CallDescription,
  type CallResult,
  ChannelClosedError,
  type RawCallOptions,
  Response,
  type RetryCategory,
  type SchemeCallOptions,
  TChannel,
  TChannelError,
  type TChannelOptions,
  TimeoutError,
  ERROR_CLASSES_BY_NAME,
  type TChannelErrorClass,
  errorFromWire,
  rawScheme,
  schemeCallOptions,
  schemeResponse,
  syncCallInterceptor,
} from "@tchannel/channel";
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
import { listensInThisProcess } from "./deadlock.js";
import { DEAD, SEQ, STATE, type WireCallOptions, type WireError, type WorkerInit, type WorkerReply, type WorkerRequest, compactBytes, toBuffer } from "./protocol.js";
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
const STANDARD_ERRORS: Record<string, ErrorConstructor> = { TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError };

interface WorkerHandle {
  worker: Worker;
  port: MessagePort;
  shared: Int32Array;
  /** Why it ended, when the event loop got to see 'error' or 'exit'. */
  ended: string | undefined;
}

/**
 * A synchronous TChannel client (tchannel-python's `tchannel.sync.TChannel`): `raw`, `json`,
 * `thrift` and `call` block the calling thread and return the `Response` (or throw the same
 * errors as the async client). The I/O runs in a worker thread that owns an async `TChannel`,
 * started by the first call; it never holds the process open. Client only: nothing is served.
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
  readonly #options: TChannelOptions;
  readonly #timeout: number;
  readonly #startupTimeout: number;
  readonly #extensions: string[];
  /** Invocations to run again in each new worker (`invoke(..., { replay: true })`). */
  readonly #replays: { name: string; args: unknown; timeout: number | undefined }[] = [];
  #routers: string[] = [];
  #worker: WorkerHandle | undefined;
  #nextId = 1;
  #starts = 0;
  #closed = false;

  constructor(options: SyncTChannelOptions) {
    const { startupTimeout, workerExtensions, ...channelOptions } = options;
    this.#extensions = (workerExtensions ?? []).map(extensionUrl);
    // Validates the options exactly as the async client does (and throws the same errors);
    // a channel that never calls opens nothing.
    new TChannel(channelOptions);
    this.name = channelOptions.name;
    this.#options = channelOptions;
    this.#timeout = channelOptions.timeout ?? DEFAULT_TIMEOUT_MS;
    this.#startupTimeout = startupTimeout ?? 10_000;
    this.raw = this.scheme(rawScheme);
    this.json = this.scheme(jsonScheme);
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
    const interceptor = syncCallInterceptor();
    if (interceptor !== undefined) return interceptor(options, this, (o) => this.#call(o));
    return this.#call(options);
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
    const result = this.call(thriftCallOptions(request, options));
    return thriftResponse(request, result, options.service ?? request.service);
  }

  #call(options: RawCallOptions): CallResult {
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
    const r = this.#request<CallResult>({ op: "call", options: wire }, transfer, this.#waitFor(options.timeout), describe);
    return { ...r, arg2: toBuffer(r.arg2), arg3: toBuffer(r.arg3) };
  }

  /**
   * Sets the routers (e.g. Hyperbahn's) that carry calls with no `hostPort` when this client has
   * no known peers, as `TChannel.setRouters` does; a restarted worker gets them too. An empty list
   * removes them.
   */
  setRouters(hostPorts: readonly string[]): void {
    if (this.#closed) throw new ChannelClosedError("setRouters on a closed channel", {});
    for (const hostPort of hostPorts) {
      if (typeof hostPort !== "string" || !/^.+:\d+$/.test(hostPort)) throw new TypeError(`expected host:port, got ${JSON.stringify(hostPort)}`);
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
    const describe: CallDescription = {};
    const value = this.#request<T>({ op: "invoke", name, args }, [], this.#waitFor(options.timeout), describe);
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
    // The same two halves as the async TChannel's scheme client, so the same errors.
    return schemeResponse(scheme, options, this.call(schemeCallOptions(scheme, options)));
  }

  /** The per-call options that cross to the worker (everything but the args and the signal). */
  #callOptions(options: Omit<RawCallOptions, "scheme" | "arg1" | "service">): Omit<WireCallOptions, "scheme" | "arg1" | "service"> {
    if (options.signal !== undefined) {
      throw new TypeError("the sync client does not take an AbortSignal: the calling thread is blocked until the call ends; use `timeout`");
    }
    const out: Omit<WireCallOptions, "scheme" | "arg1" | "service"> = {};
    if (options.timeout !== undefined) out.timeout = options.timeout;
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
  #request<T>(
    message: DistributiveOmit<WorkerRequest, "id">,
    transfer: ArrayBuffer[],
    waitMs: number,
    call: CallDescription,
    handle = this.#ensureWorker(call),
  ): T {
    const id = this.#nextId++;
    const seen = Atomics.load(handle.shared, SEQ);
    try {
      handle.port.postMessage({ ...message, id }, transfer);
    } catch (err) {
      throw new BadRequestError(`cannot pass the request to the sync worker: ${(err as Error).message}`, call, { cause: err });
    }
    const reply = this.#wait(handle, id, waitMs, seen, call);
    if (reply === undefined) {
      this.#dispose(handle);
      throw withDeadlockHint(new TimeoutError(`request timed out after ${waitMs}ms: the sync worker did not answer (a new one starts on the next call)`, call));
    }
    if (reply.ok) return reply.value as T;
    throw withDeadlockHint(reviveError(reply.error));
  }

  /** Sleeps until the reply `id` arrives (undefined after `waitMs`); a dying worker throws SyncWorkerError. */
  #wait(handle: WorkerHandle, id: number, waitMs: number, seen: number, call: CallDescription): Extract<WorkerReply, { ok: boolean }> | undefined {
    const deadline = performance.now() + waitMs;
    for (;;) {
      const received = receiveMessageOnPort(handle.port);
      if (received !== undefined) {
        const reply = received.message as WorkerReply;
        if ("crashed" in reply) {
          this.#dispose(handle);
          throw new SyncWorkerError(`the sync worker died during the call: ${reply.crashed.name}: ${reply.crashed.message} (a new one starts on the next call)`, call);
        }
        if (reply.id === id) return reply;
        continue; // the late answer to a call that timed out here
      }
      const left = deadline - performance.now();
      if (left <= 0) return undefined;
      Atomics.wait(handle.shared, SEQ, seen, left);
      seen = Atomics.load(handle.shared, SEQ);
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
    let ready: Extract<WorkerReply, { ok: boolean }> | undefined;
    try {
      ready = this.#wait(handle, 0, this.#startupTimeout, 0, call);
    } catch (err) {
      throw new SyncWorkerError(`the sync worker failed to start: ${(err as Error).message}`, call, { cause: err });
    }
    if (ready === undefined || !ready.ok) {
      this.#dispose(handle);
      const why = ready === undefined ? `it did not start within ${this.#startupTimeout}ms` : `${ready.error.name}: ${ready.error.message}`;
      throw new SyncWorkerError(`the sync worker failed to start: ${why}`, call);
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

  #dispose(handle: WorkerHandle): void {
    if (this.#worker === handle) this.#worker = undefined;
    handle.port.close();
    handle.worker.terminate().catch(() => undefined);
  }
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
