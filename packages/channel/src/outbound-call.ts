import type { CallResFrame } from "@tchannel/frame";
import type { CallResult } from "./call-types.js";
import { setCoarseTimeout } from "./coarse-timeout.js";
import type { Connection, PendingCall } from "./connection.js";
import { CancelledError, type TChannelError, TimeoutError } from "./errors.js";

/** Who hears how an attempt ended: its call's retry loop (CallAttempts), or a promise's resolvers. */
export interface AttemptListener {
  attemptAnswered(result: CallResult): void;
  attemptFailed(error: unknown): void;
}

/**
 * One attempt of an outgoing call, waiting on a connection for its answer, its TTL or its
 * caller's AbortSignal. One object per attempt rather than a closure per event: the hot path of
 * every call (issue 7's profile); the timer takes the call as its argument, so it needs no closure.
 */
export class OutboundCall implements PendingCall {
  /** The message id, once sent. */
  id = 0;
  readonly #conn: Connection;
  readonly #hostPort: string;
  /** When the call began (its first attempt), and when this attempt ends (`performance.now()` times). */
  readonly #started: number;
  readonly #deadline: number;
  /** Whether `#deadline` is this attempt's own (`timeoutPerAttempt`) rather than the call's. */
  readonly #perAttempt: boolean;
  readonly #signal: AbortSignal | undefined;
  readonly #listener: AttemptListener;
  #timer: NodeJS.Timeout;
  readonly #onAbort: (() => void) | undefined;

  constructor(
    conn: Connection,
    hostPort: string,
    started: number,
    deadline: number,
    perAttempt: boolean,
    ttlNow: number,
    signal: AbortSignal | undefined,
    listener: AttemptListener,
  ) {
    this.#conn = conn;
    this.#hostPort = hostPort;
    this.#started = started;
    this.#deadline = deadline;
    this.#perAttempt = perAttempt;
    this.#signal = signal;
    this.#listener = listener;
    this.#timer = setCoarseTimeout(timeOut, ttlNow, this);
    if (signal !== undefined) {
      this.#onAbort = () => this.#cancel();
      signal.addEventListener("abort", this.#onAbort, { once: true });
    }
  }

  onResponse(frame: CallResFrame, args: [Buffer, Buffer, Buffer]): void {
    this.#finish();
    this.#listener.attemptAnswered({ ok: frame.code === 0, code: frame.code, arg2: args[1], arg3: args[2], headers: frame.headers, hostPort: this.#hostPort });
  }

  onError(error: TChannelError): void {
    this.fail(error);
  }

  /** Ends the attempt with `error` (it could not be sent, or the connection failed it). */
  fail(error: unknown): void {
    this.#finish();
    this.#listener.attemptFailed(error);
  }

  /** The TTL passed: a late answer is dropped quietly. */
  timeOut(): void {
    // Never early: a timer may fire up to a millisecond before its time (libuv starts it from the
    // loop's cached clock, and the TTL is whole ms); wait out the rest.
    const now = performance.now();
    if (now < this.#deadline) {
      this.#timer = setTimeout(timeOut, Math.ceil(this.#deadline - now), this);
      return;
    }
    this.#conn.abandon(this.id);
    this.#finish();
    // The real time waited, never rounded below the timeout (a 1 ms timeout said "after 0ms").
    const elapsed = Math.floor(now - this.#started);
    this.#listener.attemptFailed(new TimeoutError(this.#perAttempt ? `attempt timed out after ${elapsed}ms (timeoutPerAttempt)` : `request timed out after ${elapsed}ms`));
  }

  #cancel(): void {
    this.#finish();
    this.#conn.cancel(this.id, "request cancelled by the caller");
    this.#listener.attemptFailed(new CancelledError("request cancelled by the caller", {}, { cause: this.#signal?.reason }));
  }

  #finish(): void {
    clearTimeout(this.#timer);
    if (this.#onAbort !== undefined) this.#signal!.removeEventListener("abort", this.#onAbort);
  }
}

function timeOut(call: OutboundCall): void {
  call.timeOut();
}
