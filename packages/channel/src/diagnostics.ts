import diagnostics from "node:diagnostics_channel";
import type { HeaderMap } from "@tchannel/frame";

// The core's hooks: node:diagnostics_channel channels, the way node:http and undici publish.
// Subscribers (e.g. @tchannel/opentelemetry) turn them into spans and metrics; the core depends on
// no tracing library. Every publish site checks `hasSubscribers` first, so with no subscriber a
// call builds no message at all. Names and payloads are public API: README "Diagnostics channels".

/** `tracing:tchannel:client:call:{start,end,asyncStart,asyncEnd,error}`: one outgoing call, retries included. */
export const CLIENT_CALL_CHANNEL = "tchannel:client:call";
/** `tracing:tchannel:client:attempt:*`: one attempt of an outgoing call on one peer. */
export const CLIENT_ATTEMPT_CHANNEL = "tchannel:client:attempt";
/** `tracing:tchannel:server:call:*`: one inbound call, from its call req to its answer. */
export const SERVER_CALL_CHANNEL = "tchannel:server:call";
/** A connection finished its init handshake: `ConnectionMessage`. */
export const CONNECTION_OPEN_CHANNEL = "tchannel:connection:open";
/** A connection that had opened closed: `ConnectionMessage` with `error`. */
export const CONNECTION_CLOSE_CHANNEL = "tchannel:connection:close";
/** An error frame (spec §10) sent or received: `FrameErrorMessage`. */
export const FRAME_ERROR_CHANNEL = "tchannel:frame:error";

export const clientCallChannel = diagnostics.tracingChannel<unknown, ClientCallMessage>(CLIENT_CALL_CHANNEL);
export const clientAttemptChannel = diagnostics.tracingChannel<unknown, ClientAttemptMessage>(CLIENT_ATTEMPT_CHANNEL);
export const serverCallChannel = diagnostics.tracingChannel<unknown, ServerCallMessage>(SERVER_CALL_CHANNEL);
export const connectionOpenChannel = diagnostics.channel(CONNECTION_OPEN_CHANNEL);
export const connectionCloseChannel = diagnostics.channel(CONNECTION_CLOSE_CHANNEL);
export const frameErrorChannel = diagnostics.channel(FRAME_ERROR_CHANNEL);

/**
 * The context of one outgoing call, the same object in all its events. Subscribers of `start`
 * may set `tracing` (the 25 bytes sent, spec §11) and replace `arg2` (e.g. add `$tracing$`
 * application headers to a json or thrift call); the core reads both after `start`.
 */
export class ClientCallMessage {
  /** The 25 tracing bytes to send; left undefined, the core makes a child of the inbound call's (inside a handler) or a root. */
  tracing: Uint8Array | undefined = undefined;
  /** Attempts started so far (1 + retries). */
  attempts = 0;
  /** The peer of the last attempt. */
  hostPort: string | undefined;
  /** Set on success: false for an application error (call res code 0x01). */
  ok: boolean | undefined = undefined;
  /** Set on success: the call res code (0 or 1). */
  code: number | undefined = undefined;
  /** The call's value (`CallResult` or the scheme's `Response`), set before `asyncStart`. */
  result: unknown = undefined;
  /** Why the call failed (usually a `TChannelError`), set before `error`. */
  error: unknown = undefined;

  constructor(
    readonly service: string,
    readonly endpoint: string,
    /** The arg scheme (`as` header): raw, json, thrift... */
    readonly scheme: string,
    readonly callerName: string,
    /** The `hostPort` the caller asked for, if any. */
    readonly requestedHostPort: string | undefined,
    /** The application headers as encoded by the scheme; subscribers of `start` may replace it. */
    public arg2: Uint8Array,
    /** The inbound call whose handler makes this call, if any (its `ServerCallMessage`). */
    readonly parent: ServerCallMessage | undefined,
  ) {
    this.hostPort = requestedHostPort;
  }
}

/** One attempt of a call on one peer; `start` subscribers may set `tracing` for this attempt. */
export class ClientAttemptMessage {
  /** Defaults to the call's tracing; retries may carry their own span's. */
  tracing: Uint8Array;
  result: unknown = undefined;
  error: unknown = undefined;
  constructor(
    readonly call: ClientCallMessage,
    /** 0 for the first attempt, n for the n-th retry. */
    readonly attempt: number,
    readonly hostPort: string,
    tracing: Uint8Array,
  ) {
    this.tracing = tracing;
  }
}

/**
 * The context of one inbound call that reached a handler. `start` fires before the handler runs,
 * which runs inside `start.runStores(message)` (so stores bound with `bindStore` are active in
 * it); `end` when the handler returns (synchronously); `error` on a failure (the handler threw or
 * rejected, its answer could not be encoded, or the call timed out, was cancelled or lost its
 * connection); `asyncStart` when the answer or failure is known; `asyncEnd` after the answer (call
 * res or error frame) is written, or the call was abandoned. Calls refused before a handler is
 * chosen (no `as`/`cn`, unknown endpoint, declined while closing) only show as `tchannel:frame:error`.
 */
export class ServerCallMessage {
  /** Set when answered with a call res: false for an application error. */
  ok: boolean | undefined = undefined;
  /** The call res code (0/1), or the error frame's code (spec §10). */
  code: number | undefined = undefined;
  error: unknown = undefined;
  constructor(
    readonly service: string,
    readonly endpoint: string,
    readonly scheme: string,
    readonly callerName: string,
    /** The caller's `host:port`. */
    readonly remoteHostPort: string,
    /** The 25 tracing bytes received (spec §11). */
    readonly tracing: Uint8Array,
    /** The TTL the call arrived with, in ms. */
    readonly ttl: number,
    readonly transportHeaders: HeaderMap,
    /** The application headers as received (read `$tracing$` ones here: schemes hide them from handlers). */
    readonly arg2: Uint8Array,
  ) {}
}

/** A connection's open or close. The byte counts are read from the socket when asked. */
export class ConnectionMessage {
  error: unknown = undefined;
  constructor(
    readonly direction: "in" | "out",
    readonly remoteHostPort: string,
    readonly remoteProcessName: string,
    readonly localHostPort: string,
    readonly counters: { readonly bytesRead: number; readonly bytesWritten: number },
  ) {}

  get bytesRead(): number {
    return this.counters.bytesRead;
  }

  get bytesWritten(): number {
    return this.counters.bytesWritten;
  }
}

/** An error frame (spec §10): `out` when we sent it, `in` when the peer did. */
export interface FrameErrorMessage {
  direction: "in" | "out";
  id: number;
  code: number;
  message: string;
  remoteHostPort: string;
}

export function publishFrameError(direction: "in" | "out", id: number, code: number, message: string, remoteHostPort: string): void {
  const m: FrameErrorMessage = { direction, id, code, message, remoteHostPort };
  frameErrorChannel.publish(m);
}
