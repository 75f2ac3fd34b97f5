import { type HeaderMap, type OutgoingArg, newHeaderMap } from "@tchannel/frame";
import type { CallOptions, RegisterOptions, TransportInfo } from "./call-types.js";

/**
 * An arg scheme (spec §15): how a scheme turns application headers and bodies into arg2 and arg3
 * and back. The core knows schemes only through this interface; raw is the identity.
 * Decoders throw on bad input; the core turns that into BadRequest (server side) or
 * UnexpectedError (client side).
 */
export interface ArgScheme<Body, Headers> {
  /** The `as` transport header value. */
  readonly name: string;
  encodeHeaders(headers: Headers | undefined): Uint8Array;
  decodeHeaders(bytes: Buffer): Headers;
  encodeBody(body: Body | undefined): Uint8Array;
  decodeBody(bytes: Buffer): Body;
  /**
   * Optional: a body as an arg the core writes straight into the frame (an `EncodableArg` of
   * @tchannel/frame: exact size now, bytes when the frame is built; issue 18), instead of bytes it
   * then copies: a handler's answer (call res) and a client's request (call req; written in the
   * tick of the call, its bytes kept for retries). Throws as `encodeBody` does; the same bytes.
   */
  encodeBodyArg?(body: Body | undefined): OutgoingArg;
}

const NO_OPTIONS: { status?: number } = Object.freeze({});

/** What a call returns and what a handler may return (tchannel-python's `Response`). */
export class Response<Body = unknown, Headers = unknown> {
  body: Body;
  headers: Headers;
  /** 0 = OK, 1 = application error (the call res code, spec §6). */
  status: number;
  /** The transport headers of the response, and the answering peer when it came over the wire. */
  transport: { headers: HeaderMap; scheme: string | undefined; hostPort: string | undefined };

  constructor(body: Body, headers?: Headers, options: { status?: number } = NO_OPTIONS) {
    this.body = body;
    this.headers = headers as Headers;
    this.status = options.status ?? 0;
    // A fast-mode empty map (newHeaderMap), not Object.create(null): one per Response (issue 18).
    this.transport = { headers: newHeaderMap(), scheme: undefined, hostPort: undefined };
  }

  get ok(): boolean {
    return this.status === 0;
  }
}

/** What a handler receives (tchannel-python's `Request`). */
export interface Request<Body = unknown, Headers = unknown> {
  body: Body;
  headers: Headers;
  endpoint: string;
  service: string;
  transport: TransportInfo;
  /** Aborted when the TTL passes, the caller cancels, or the connection drops. */
  signal: AbortSignal;
  /** `performance.now()` value at which the caller stops waiting. */
  deadline: number;
}

/** A handler returns a body, or a `Response` to set headers or an application-error status. */
export type Handler<Body, Headers> = (request: Request<Body, Headers>) => Body | Response<Body, Headers> | Promise<Body | Response<Body, Headers>>;

export interface SchemeCallOptions<Body, Headers> extends CallOptions {
  endpoint: string;
  body?: Body;
  headers?: Headers;
}

/** `tchannel.raw`, `tchannel.json`...: call with the scheme, and register handlers for it. */
export interface SchemeClient<Body, Headers> {
  (options: SchemeCallOptions<Body, Headers>): Promise<Response<Body, Headers>>;
  register(endpoint: string, handler: Handler<Body, Headers>, options?: RegisterOptions): void;
  readonly scheme: ArgScheme<Body, Headers>;
}
