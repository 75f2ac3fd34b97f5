import type { ChecksumType, HeaderMap, OutgoingArg } from "@tchannel/frame";
import type { RetryOn } from "./retry.js";

/** Options every outgoing call takes, whatever its scheme. Timeouts are in milliseconds. */
export interface CallOptions {
  /** The service to call (the call req's `service` field). */
  service: string;
  /** Milliseconds for the whole call, retries included; default: the channel's (30 000). */
  timeout?: number;
  /**
   * Milliseconds for one attempt; default: all the time left for the call. Shorter lets a retry
   * (with `retryOn` "t" or "ct") reach another peer within `timeout` when one peer hangs (as
   * tchannel-go's `TimeoutPerAttempt` and tchannel-node's `timeoutPerAttempt`).
   */
  timeoutPerAttempt?: number;
  /** Which failures to retry (`re` header): 'c' (default), 't', 'ct' or 'n'. */
  retryOn?: RetryOn;
  /** Retries after the first attempt; default 4. */
  retryLimit?: number;
  /** Call this peer directly instead of choosing among known peers. */
  hostPort?: string;
  /** `sk` transport header: ringpop shard key. */
  shardKey?: string;
  /** `rd` transport header: route to this service instead of `service`. */
  routingDelegate?: string;
  /** `cn` transport header; default: the channel's name. */
  callerName?: string;
  /** Checksum for this call's frames; default: the channel's (CRC-32C). */
  checksumType?: ChecksumType;
  /** Aborting sends a cancel frame and rejects the call with CancelledError. */
  signal?: AbortSignal;
  /** Extra transport headers (keys of at most 15 bytes). */
  transportHeaders?: HeaderMap;
}

/**
 * A low-level call: the scheme name and the three args as bytes. Args over 16 KiB in total are
 * written from these buffers without a copy (issue 18): leave them unchanged until the call
 * settles (the frames' checksums are computed when the call is sent).
 */
export interface RawCallOptions extends CallOptions {
  scheme: string;
  arg1: Uint8Array | string;
  arg2?: Uint8Array;
  arg3?: Uint8Array;
}

/** The answer to a low-level call. `ok` is false for an application error (code 0x01). */
export interface CallResult {
  ok: boolean;
  code: number;
  arg2: Buffer;
  arg3: Buffer;
  /** The response's transport headers. */
  headers: HeaderMap;
  /** The peer that answered. */
  hostPort: string;
}

/** What a handler learns of the transport (tchannel-python's TransportHeaders, plus TTL). */
export interface TransportInfo {
  callerName: string;
  scheme: string;
  /** The TTL the call arrived with, in ms. */
  ttl: number;
  flags: number;
  shardKey: string | undefined;
  routingDelegate: string | undefined;
  retryFlags: string | undefined;
  /** Every transport header as received. */
  headers: HeaderMap;
}

/** An inbound call as the core sees it: args as bytes. */
export interface InboundCall {
  service: string;
  endpoint: string;
  arg2: Buffer;
  arg3: Buffer;
  transport: TransportInfo;
  /** Aborted when the TTL passes, the caller cancels, or the connection drops. */
  signal: AbortSignal;
  /** `performance.now()` value at which the caller stops waiting. */
  deadline: number;
  tracing: Uint8Array;
  /** The caller's `host:port` (or socket address if it does not listen). */
  remoteHostPort: string;
}

/**
 * What a low-level handler answers. `ok: false` is an application error (code 0x01). Args over
 * 16 KiB are written from these buffers without a copy: do not change them afterwards. An arg may
 * also be an `EncodableArg` (@tchannel/frame: its exact `size`, and `writeInto(buf, offset)`), which
 * a reply that fits one frame writes straight into it (how the thrift scheme answers, issue 18).
 */
export interface OutboundReply {
  ok: boolean;
  arg2: OutgoingArg;
  arg3: OutgoingArg;
}

/** Options of `register` (and of every scheme client's `register`). */
export interface RegisterOptions {
  /** The service the endpoint belongs to; default: the channel's name. */
  service?: string;
  /**
   * Largest call request accepted for this endpoint, its three args together, in bytes; default:
   * the channel's `maxRequestSize` (16 MiB). Larger requests are answered BadRequest as soon as
   * their bytes cross it, before the rest is buffered.
   */
  maxRequestSize?: number;
}

export type InboundHandler = (call: InboundCall) => OutboundReply | Promise<OutboundReply>;
