import type { HeaderMap } from "@tchannel/frame";
import type { ArgStream } from "./arg-stream.js";
import type { StreamBody } from "./body-pump.js";
import type { CallOptions, InboundCall } from "./call-types.js";

/**
 * A low-level streamed call (issue 18): arg2 and arg3 are sent as the producers yield them.
 * Streamed calls are never retried (their bodies cannot be replayed) and do not go through call
 * interceptors. The timeout covers the whole call, the response's last byte included.
 */
export interface StreamedCallOptions extends Omit<CallOptions, "retryOn" | "retryLimit"> {
  scheme: string;
  arg1: Uint8Array | string;
  arg2?: StreamBody;
  arg3?: StreamBody;
}

/**
 * The answer to a streamed call, from its first frame: the code is known, the args stream in.
 * Read arg2 before arg3 (wire order); starting on arg3 drops arg2's unread rest.
 */
export interface StreamedCallResult {
  ok: boolean;
  code: number;
  arg2: ArgStream;
  arg3: ArgStream;
  headers: HeaderMap;
  hostPort: string;
}

/** A streamed inbound call: as InboundCall, with the args as streams. */
export interface StreamedInboundCall extends Omit<InboundCall, "arg2" | "arg3"> {
  arg2: ArgStream;
  arg3: ArgStream;
}

/**
 * What a streamed handler answers. The code goes in the first response frame, so it is decided
 * before any byte is sent (spec §6); a failure of the body mid-way becomes an error frame.
 */
export interface StreamedReply {
  ok: boolean;
  arg2?: StreamBody;
  arg3?: StreamBody;
}

export type StreamedHandler = (call: StreamedInboundCall) => StreamedReply | Promise<StreamedReply>;
