import type { InboundCall, InboundHandler, OutboundReply, TransportInfo } from "./call-types.js";
import { BadRequestError } from "./errors.js";
import { type ArgScheme, type Handler, type Request, Response } from "./scheme.js";

/** What a scheme handler receives (tchannel-python's `Request`); a class so `signal` is a prototype getter. */
class SchemeRequest<Body, Headers> implements Request<Body, Headers> {
  readonly #call: InboundCall;
  endpoint: string;
  service: string;
  transport: TransportInfo;
  deadline: number;
  constructor(
    public body: Body,
    public headers: Headers,
    call: InboundCall,
  ) {
    this.#call = call;
    this.endpoint = call.endpoint;
    this.service = call.service;
    this.transport = call.transport;
    this.deadline = call.deadline;
  }

  get signal(): AbortSignal {
    return this.#call.signal;
  }
}

/**
 * Wraps a scheme handler (body and headers in, body or `Response` out) into a low-level handler:
 * decodes arg2/arg3 with the scheme (a failure is the caller's BadRequest) and encodes the answer.
 */
export function schemeHandler<Body, Headers>(scheme: ArgScheme<Body, Headers>, handler: Handler<Body, Headers>): InboundHandler {
  const reply = (result: Body | Response<Body, Headers>): OutboundReply => {
    const response = result instanceof Response ? result : new Response<Body, Headers>(result as Body);
    const arg3 = scheme.encodeBodyArg === undefined ? scheme.encodeBody(response.body) : scheme.encodeBodyArg(response.body);
    return { ok: response.status === 0, arg2: scheme.encodeHeaders(response.headers), arg3 };
  };
  // Not async: a handler that answers synchronously is answered in the same tick, without a
  // promise (the dispatcher takes either). A throw is a failed call either way.
  return (call: InboundCall): OutboundReply | Promise<OutboundReply> => {
    let body: Body;
    let headers: Headers;
    try {
      headers = scheme.decodeHeaders(call.arg2);
      body = scheme.decodeBody(call.arg3);
    } catch (err) {
      throw new BadRequestError(`cannot decode the ${scheme.name} request: ${(err as Error).message}`);
    }
    let result: Body | Response<Body, Headers> | PromiseLike<Body | Response<Body, Headers>>;
    try {
      result = handler(new SchemeRequest(body, headers, call));
    } catch (err) {
      return Promise.reject(err);
    }
    if (typeof (result as PromiseLike<unknown> | undefined)?.then === "function") return Promise.resolve(result as PromiseLike<Body | Response<Body, Headers>>).then(reply);
    return reply(result as Body | Response<Body, Headers>);
  };
}
