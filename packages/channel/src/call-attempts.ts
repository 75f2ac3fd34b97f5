import { type ChecksumType, type HeaderMap, FrameEncodeError, type OutgoingArg } from "@tchannel/frame";
import type { CallResult, RawCallOptions } from "./call-types.js";
import type { Connection } from "./connection.js";
import { ClientAttemptMessage, type ClientCallMessage, clientAttemptChannel } from "./diagnostics.js";
import { CancelledError, InvalidArgumentError, NoAvailablePeerError, TChannelError, TimeoutError } from "./errors.js";
import { type AttemptListener, OutboundCall } from "./outbound-call.js";
import type { Peer } from "./peer.js";
import { choosePeer } from "./peer-selector.js";
import { RequestBody } from "./request-body.js";
import { type RetryOn, shouldRetry } from "./retry.js";

const EMPTY = Buffer.alloc(0);

/** What a call's attempts need from the sender that started them. */
export interface AttemptHost {
  /** The channel is closing: no more retries. */
  readonly closing: boolean;
  readonly checksumType: ChecksumType;
  /** A ready connection to `peer`, opened if needed, within the attempt's deadline. */
  connect(peer: Peer, started: number, deadline: number): Promise<Connection>;
  /** The call is over (answered or failed), just before its promise settles. */
  finished(): void;
}

/** Everything fixed before the first attempt (`CallSender` works it out from the options). */
export interface PreparedCall {
  options: RawCallOptions;
  /** arg1 as bytes, and as a string when the caller gave one (for error messages). */
  arg1: Uint8Array;
  /** arg3: the caller's bytes, or a scheme's body written into the frame (RequestBody, issue 18). */
  arg3: OutgoingArg;
  endpoint: string | undefined;
  headers: HeaderMap;
  tracing: Uint8Array;
  /** `performance.now()` at the call's start, and the call's deadline. */
  started: number;
  deadline: number;
  retryOn: RetryOn;
  retryLimit: number;
  candidates: readonly Peer[];
  /** The `tracing:tchannel:client:call` message, when that channel has subscribers. */
  message: ClientCallMessage | undefined;
}

/**
 * One outgoing call across its attempts (the retry loop, spec §13): chooses a peer, sends on one
 * of its connections, and on a failure that `retry.ts` allows, tries again elsewhere while time
 * remains. A state machine driven by the attempts' answers rather than an async loop: an async
 * frame, its promise and one promise per attempt were most of what a small call allocated on the
 * client (issue 18's allocation profile), and enough of it outlived a scavenge to drive major GCs.
 * The call's one promise is settled through `resolve`/`reject`; `map` turns the result into what
 * the caller gets (a scheme's Response), in the same tick.
 */
export class CallAttempts<R> implements AttemptListener {
  readonly #host: AttemptHost;
  readonly #call: PreparedCall;
  readonly #map: ((result: CallResult) => R) | undefined;
  readonly #resolve: (value: R | CallResult) => void;
  readonly #reject: (error: unknown) => void;
  #attempt = -1;
  /** Peers tried so far; made on the first retry (most calls have one attempt). */
  #tried: Set<Peer> | undefined;
  #peer: Peer | undefined;
  /** Whole ms left for the call when the current attempt began (for error descriptions). */
  #remaining = 0;

  constructor(host: AttemptHost, call: PreparedCall, map: ((result: CallResult) => R) | undefined, resolve: (value: R | CallResult) => void, reject: (error: unknown) => void) {
    this.#host = host;
    this.#call = call;
    this.#map = map;
    this.#resolve = resolve;
    this.#reject = reject;
  }

  /** Starts the next attempt, or fails the call when no peer or no time is left. */
  next(): void {
    const call = this.#call;
    const attempt = ++this.#attempt;
    let peer = choosePeer(call.candidates, this.#tried);
    // With every candidate tried, a retry goes back to the least busy one.
    if (peer === undefined && attempt > 0) peer = choosePeer(call.candidates, undefined);
    if (peer === undefined) {
      this.#fail(new NoAvailablePeerError("no peer available: pass hostPort, knownPeers or routers", { service: call.options.service, endpoint: call.endpoint }));
      return;
    }
    const now = performance.now();
    const remaining = Math.ceil(call.deadline - now);
    if (now >= call.deadline) {
      // Nothing left (only after a failed attempt: the first always goes, however short its timeout).
      this.#fail(new TimeoutError(`request timed out after ${Math.floor(now - call.started)}ms`, { service: call.options.service, endpoint: call.endpoint, hostPort: peer.hostPort, ttl: remaining }));
      return;
    }
    this.#peer = peer;
    this.#remaining = remaining;
    // With timeoutPerAttempt, this attempt ends sooner, leaving time to retry elsewhere.
    const perAttemptMs = call.options.timeoutPerAttempt;
    const perAttempt = perAttemptMs !== undefined && now + perAttemptMs < call.deadline;
    const deadline = perAttempt ? now + perAttemptMs : call.deadline;
    if (call.message === undefined) this.#send(peer, deadline, perAttempt, call.tracing, this);
    else this.#observedAttempt(call.message, attempt, peer, deadline, perAttempt);
  }

  attemptAnswered(result: CallResult): void {
    this.#host.finished();
    if (this.#map === undefined) {
      this.#resolve(result);
      return;
    }
    let value: R;
    try {
      value = this.#map(result);
    } catch (err) {
      this.#reject(err);
      return;
    }
    this.#resolve(value);
  }

  attemptFailed(error: unknown): void {
    if (!(error instanceof TChannelError)) {
      this.#fail(error);
      return;
    }
    const call = this.#call;
    const peer = this.#peer!;
    error.describe({ service: call.options.service, endpoint: call.endpoint, hostPort: peer.hostPort, ttl: this.#remaining });
    (this.#tried ??= new Set()).add(peer);
    // A closing channel never retries: the call may have run, and a retry would connect again.
    if (this.#attempt >= call.retryLimit || call.options.signal?.aborted || this.#host.closing || !shouldRetry(error, call.retryOn)) {
      this.#fail(error);
      return;
    }
    // Not now: a connection failing its calls is still in its peer's list until its close() returns.
    queueMicrotask(() => this.next());
  }

  #fail(error: unknown): void {
    this.#host.finished();
    this.#reject(error);
  }

  /** An attempt with subscribers: `tracing:tchannel:client:attempt:*` around it, the result in the call's message. */
  #observedAttempt(message: ClientCallMessage, attempt: number, peer: Peer, deadline: number, perAttempt: boolean): void {
    message.attempts = attempt + 1;
    message.hostPort = peer.hostPort;
    const run = (tracing: Uint8Array) => new Promise<CallResult>((resolve, reject) => this.#send(peer, deadline, perAttempt, tracing, { attemptAnswered: resolve, attemptFailed: reject }));
    let result: Promise<CallResult>;
    if (clientAttemptChannel.hasSubscribers) {
      const a = new ClientAttemptMessage(message, attempt, peer.hostPort, this.#call.tracing);
      result = clientAttemptChannel.tracePromise(() => run(a.tracing), a);
    } else {
      result = run(this.#call.tracing);
    }
    result.then(
      (r) => {
        message.ok = r.ok;
        message.code = r.code;
        this.attemptAnswered(r);
      },
      (err: unknown) => this.attemptFailed(err),
    );
  }

  /** One attempt on one peer, answered through `listener`. */
  #send(peer: Peer, deadline: number, perAttempt: boolean, tracing: Uint8Array, listener: AttemptListener): void {
    const conn = peer.readyConnection();
    if (conn !== undefined) {
      this.#sendOn(conn, peer, deadline, perAttempt, tracing, listener);
      return;
    }
    // Written later: a scheme's body is taken now, as the caller's value is when the call starts.
    const body = this.#call.arg3;
    if (body instanceof RequestBody) {
      try {
        body.bytes();
      } catch (err) {
        listener.attemptFailed(err instanceof FrameEncodeError ? new InvalidArgumentError(err.message, {}, { cause: err }) : err);
        return;
      }
    }
    this.#host.connect(peer, this.#call.started, deadline).then(
      (c) => this.#sendOn(c, peer, deadline, perAttempt, tracing, listener),
      (err: unknown) => listener.attemptFailed(err),
    );
  }

  /** The TTL on the wire is the time left for the whole call (spec §12). */
  #sendOn(conn: Connection, peer: Peer, deadline: number, perAttempt: boolean, tracing: Uint8Array, listener: AttemptListener): void {
    const options = this.#call.options;
    const signal = options.signal;
    if (signal?.aborted) {
      listener.attemptFailed(new CancelledError("request cancelled by the caller", {}, { cause: signal.reason }));
      return;
    }
    // Rounded up: the callee gives up after us, never before (its Timeout would race ours).
    const ttlNow = Math.max(1, Math.ceil(deadline - performance.now()));
    const pending = new OutboundCall(conn, peer.hostPort, this.#call.started, deadline, perAttempt, ttlNow, signal, listener);
    try {
      pending.id = conn.sendCall(
        {
          id: 0,
          ttl: ttlNow,
          tracing,
          service: options.service,
          headers: this.#call.headers,
          checksumType: options.checksumType ?? this.#host.checksumType,
          args: [this.#call.arg1, options.arg2 ?? EMPTY, this.#call.arg3],
        },
        pending,
      );
    } catch (err) {
      // The call cannot be written as given (e.g. arg1 over 16 KiB): the caller's mistake.
      pending.fail(err instanceof FrameEncodeError ? new InvalidArgumentError(err.message, {}, { cause: err }) : err);
    }
  }
}
