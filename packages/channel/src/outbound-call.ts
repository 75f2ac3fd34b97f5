import type { CallResFrame } from "@tchannel/frame";
import type { CallResult } from "./call-types.js";
import { setCoarseTimeout } from "./coarse-timeout.js";
import type { Connection, PendingCall } from "./connection.js";
import { CancelledError, type TChannelError, TimeoutError } from "./errors.js";

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
  /** The call's TTL, for the timeout message. */
  readonly #ttl: number;
  readonly #signal: AbortSignal | undefined;
  readonly #resolve: (result: CallResult) => void;
  readonly #reject: (error: unknown) => void;
  readonly #timer: NodeJS.Timeout;
  readonly #onAbort: (() => void) | undefined;

  constructor(
    conn: Connection,
    hostPort: string,
    ttl: number,
    ttlNow: number,
    signal: AbortSignal | undefined,
    resolve: (result: CallResult) => void,
    reject: (error: unknown) => void,
  ) {
    this.#conn = conn;
    this.#hostPort = hostPort;
    this.#ttl = ttl;
    this.#signal = signal;
    this.#resolve = resolve;
    this.#reject = reject;
    this.#timer = setCoarseTimeout(timeOut, ttlNow, this);
    if (signal !== undefined) {
      this.#onAbort = () => this.#cancel();
      signal.addEventListener("abort", this.#onAbort, { once: true });
    }
  }

  onResponse(frame: CallResFrame, args: [Buffer, Buffer, Buffer]): void {
    this.#finish();
    this.#resolve({ ok: frame.code === 0, code: frame.code, arg2: args[1], arg3: args[2], headers: frame.headers, hostPort: this.#hostPort });
  }

  onError(error: TChannelError): void {
    this.fail(error);
  }

  /** Ends the attempt with `error` (it could not be sent, or the connection failed it). */
  fail(error: unknown): void {
    this.#finish();
    this.#reject(error);
  }

  /** The TTL passed: a late answer is dropped quietly. */
  timeOut(): void {
    this.#conn.abandon(this.id);
    this.#finish();
    this.#reject(new TimeoutError(`request timed out after ${this.#ttl}ms`));
  }

  #cancel(): void {
    this.#finish();
    this.#conn.cancel(this.id, "request cancelled by the caller");
    this.#reject(new CancelledError("request cancelled by the caller", {}, { cause: this.#signal?.reason }));
  }

  #finish(): void {
    clearTimeout(this.#timer);
    if (this.#onAbort !== undefined) this.#signal!.removeEventListener("abort", this.#onAbort);
  }
}

function timeOut(call: OutboundCall): void {
  call.timeOut();
}
