import { BadRequestError, CALL_OPTION_KEYS, CALL_WITH_BODY_ARG, type CallOptions, type InboundCall, InvalidArgumentError, type OutboundReply, type RawCallOptions, Response, type Request, type TChannel, type TransportInfo, isCallOptionName, optionsError, unknownCallOptionsError, withoutTracingHeaders } from "@tchannel/channel";
import { z } from "zod";
import { type EncodableArg, FrameError } from "@tchannel/frame";
import { ThriftCodecError, decodeStruct, structFieldArg } from "./binary-codec.js";
import { registerMeta } from "./meta-service.js";
import { decodeThriftHeaders, encodeThriftHeaders } from "./thrift-headers.js";
import { thriftCallBody, thriftCallHead, thriftResponse } from "./thrift-call.js";
import { OneWayNotSupportedError, ValueExpectedError } from "./thrift-errors.js";
import type { ThriftMethod, ThriftRequest, ThriftService, ModuleInfo } from "./thrift-module.js";
import { MODULE_INFO } from "./thrift-module.js";

/** Thrift application headers: strings, carried as an `nh:2` map in arg2 (spec §15.3). */
export type ThriftHeaders = Record<string, string>;

export interface ThriftCallOptions extends Omit<CallOptions, "service"> {
  headers?: ThriftHeaders;
  /** Override the service the request's module was loaded for. */
  service?: string;
  /** The decode budget of the response (values per message; default DEFAULT_MAX_ELEMENTS). */
  maxElements?: number;
}

/** Every key of ThriftCallOptions (the compiler holds the list to the type), for messages. */
const THRIFT_CALL_OPTION_NAMES: readonly string[] = Object.freeze(Object.keys({ ...CALL_OPTION_KEYS, headers: true, maxElements: true } as const satisfies Record<keyof ThriftCallOptions, true>));

/** Whether `key` is a ThriftCallOptions key (a switch: it runs for each key of every call). */
function isThriftCallOptionName(key: string): boolean {
  const name = key as keyof ThriftCallOptions;
  switch (name) {
    case "headers":
    case "maxElements":
      return true;
    default: {
      const rest: keyof CallOptions = name; // a ThriftCallOptions key of its own with no case above does not compile
      return isCallOptionName(rest);
    }
  }
}

/**
 * The first key of a thrift call's options that ThriftCallOptions does not have, or undefined:
 * per-call options are strict, as at every entry point (a misspelt `timout` must not drop the
 * caller's timeout). Allocates nothing.
 */
function unknownThriftCallOption(options: object): string | undefined {
  for (const key in options) if (!isThriftCallOptionName(key)) return key;
  return undefined;
}

/** Options of `thrift.register`. */
export interface ThriftRegisterOptions {
  /** The TChannel service this handler serves (default: the channel's name), as for raw and json. */
  service?: string;
  /** The decode budget of a request (values per message; default DEFAULT_MAX_ELEMENTS): more is BadRequest. */
  maxElements?: number;
  /**
   * The largest request this endpoint accepts, its args together, in bytes (default: the channel's
   * `maxRequestSize`, 16 MiB); a larger one is answered BadRequest as its bytes arrive, before it is
   * buffered whole.
   */
  maxRequestSize?: number;
}

/**
 * A thrift handler: returns the result, a `Response` (for headers), or a promise of either; a void
 * method's handler returns nothing. Throwing a declared exception answers with it.
 */
export type ThriftHandler<Args = any, Result = unknown> = (
  request: Request<Args, ThriftHeaders>,
) => HandlerResult<Result> | Response<Result, ThriftHeaders> | Promise<HandlerResult<Result> | Response<Result, ThriftHeaders>>;

/** What a handler may return for a method's result: for a void method (null), nothing as well. */
export type HandlerResult<Result> = [Result] extends [null] ? Result | void | undefined : Result;

/** The args of a request builder of a typed service (see `tchannel-thrift types`). */
export type ArgsOf<F> = F extends (args: infer A) => ThriftRequest<any> ? NonNullable<A> : any;
/** The result of a request builder of a typed service. */
export type ResultOf<F> = F extends (...args: any[]) => ThriftRequest<infer R> ? R : unknown;

/** `tchannel.thrift`: call with a request built from a loaded module, and register handlers. */
export interface ThriftClient {
  <Result>(request: ThriftRequest<Result>, options?: ThriftCallOptions): Promise<Response<Result, ThriftHeaders>>;
  register<S extends { readonly methods: ReadonlyMap<string, ThriftMethod> }, M extends keyof S & string>(
    service: S,
    method: M,
    handler: ThriftHandler<ArgsOf<S[M]>, ResultOf<S[M]>>,
    options?: ThriftRegisterOptions,
  ): void;
}

/**
 * What a thrift handler receives. A class, so that `signal` is a prototype getter: V8 builds an
 * object literal with a getter on a slow path, per call (issue 7's allocation profile).
 */
class ThriftRequestView implements Request<Record<string, unknown>, ThriftHeaders> {
  readonly #call: InboundCall;
  service: string;
  transport: TransportInfo;
  deadline: number;
  constructor(
    public body: Record<string, unknown>,
    public headers: ThriftHeaders,
    public endpoint: string,
    call: InboundCall,
  ) {
    this.#call = call;
    this.service = call.service;
    this.transport = call.transport;
    this.deadline = call.deadline;
  }

  get signal(): AbortSignal {
    return this.#call.signal;
  }
}

const clients = new WeakMap<TChannel, ThriftClient>();

/**
 * The thrift scheme bound to a channel. The first call for a channel also registers `Meta::health`,
 * `Meta::thriftIDL` and `Meta::versionInfo` on it (spec §18).
 */
export function thriftClient(channel: TChannel): ThriftClient {
  const known = clients.get(channel);
  if (known) return known;
  let lastModule: ModuleInfo | undefined;
  const client = ((request: ThriftRequest, options: ThriftCallOptions = {}) => callThrift(channel, request, options)) as ThriftClient;
  client.register = (service: { readonly methods: ReadonlyMap<string, ThriftMethod> }, name: string, handler: ThriftHandler, options: ThriftRegisterOptions = {}) => {
    const method = service?.methods?.get(name);
    if (!method) throw new InvalidArgumentError(`${(service as ThriftService)?.name ?? "service"} has no method ${JSON.stringify(name)}`);
    if (method.oneway) throw new OneWayNotSupportedError(`${method.endpoint} is oneway; TChannel does not support oneway methods`);
    if (typeof handler !== "function") throw new InvalidArgumentError(`the handler of ${method.endpoint} must be a function`);
    const { service: serviceName, maxElements, maxRequestSize } = parseRegisterOptions(options);
    const info = (service as unknown as Record<symbol, ModuleInfo | undefined>)[MODULE_INFO];
    if (info) lastModule = info;
    const decodeOptions = { maxElements };
    // Built once: a thrift error names the method's args or result (ThriftCodecError's path).
    const argsPath = `${method.endpoint} arguments`;
    const resultPath = `${method.endpoint} result`;
    const success = method.returnsValue ? method.result.byId.get(0) : undefined;
    const reply = (result: unknown): OutboundReply => {
      // The result, or a Response for headers (none built when the handler gave a plain value).
      let body = result;
      let headers: ThriftHeaders | undefined;
      if (result instanceof Response) {
        body = result.body;
        headers = result.headers as ThriftHeaders | undefined;
      }
      if (method.returnsValue && (body === undefined || body === null)) {
        throw new ValueExpectedError(`${method.endpoint} must return a value, got ${body}`);
      }
      // Sized (and checked) now, written straight into the call res frame (issue 18).
      return { ok: true, arg2: encodeThriftHeaders(headers), arg3: structFieldArg(method.result, success, body, resultPath) };
    };
    const failed = (err: unknown): OutboundReply => {
      const field = method.exceptions.find((f) => f.type.kind === "struct" && f.type.def.cls !== undefined && err instanceof f.type.def.cls);
      if (!field) throw err;
      return { ok: false, arg2: encodeThriftHeaders(undefined), arg3: structFieldArg(method.result, field, err, resultPath) };
    };
    // Not async: a handler that answers synchronously is answered in the same tick, as raw and
    // json ones are (the core takes a reply or a promise of one).
    const inbound = (call: InboundCall): OutboundReply | Promise<OutboundReply> => {
      let headers: ThriftHeaders;
      let body: Record<string, unknown>;
      try {
        headers = withoutTracingHeaders(decodeThriftHeaders(call.arg2));
        body = decodeStruct(method.args, call.arg3, argsPath, decodeOptions);
      } catch (err) {
        if (err instanceof ThriftCodecError || err instanceof FrameError) throw new BadRequestError(`cannot decode the thrift request: ${err.message}`);
        throw err;
      }
      let result: unknown;
      try {
        result = handler(new ThriftRequestView(body, headers, method.endpoint, call));
      } catch (err) {
        return failed(err);
      }
      if (typeof (result as PromiseLike<unknown> | undefined)?.then === "function") return Promise.resolve(result).then(reply, failed);
      return reply(result);
    };
    channel.register(method.endpoint, "thrift", inbound, { service: serviceName, maxRequestSize });
  };
  clients.set(channel, client);
  registerMeta(channel, client, () => lastModule);
  return client;
}

/**
 * Not async: the call's own promise, then the decode (an async wrapper around an async function
 * adds promise hops to every call). A request that cannot be encoded still rejects, never throws.
 */
function callThrift(channel: TChannel, request: ThriftRequest, options: ThriftCallOptions): Promise<Response<any, ThriftHeaders>> {
  if (typeof options === "object" && options !== null && unknownThriftCallOption(options) !== undefined) {
    return Promise.reject(unknownCallOptionsError(options, isThriftCallOptionName, THRIFT_CALL_OPTION_NAMES, { service: typeof options.service === "string" ? options.service : request?.service, endpoint: request?.method?.endpoint }));
  }
  let call: RawCallOptions;
  let body: EncodableArg;
  try {
    call = thriftCallHead(request, options);
    body = thriftCallBody(request, call.service);
  } catch (err) {
    return Promise.reject(err);
  }
  // The args written straight into the call req frame, the response decoded in the tick it
  // arrives (issue 18); call interceptors, diagnostics and the VCR still see arg3 as bytes.
  const decodeOptions = options.maxElements === undefined ? undefined : { maxElements: options.maxElements };
  return channel[CALL_WITH_BODY_ARG](call, body, (result) => thriftResponse(request, result, call.service, decodeOptions));
}

const registerOptions = z.strictObject({
  service: z.string().min(1).optional(),
  maxElements: z.number().int().positive().optional(),
  maxRequestSize: z.number().int().positive().optional(),
});

function parseRegisterOptions(options: ThriftRegisterOptions): ThriftRegisterOptions {
  const parsed = registerOptions.safeParse(options ?? {});
  if (!parsed.success) throw optionsError("thrift.register options", parsed.error, options, Object.keys(registerOptions.shape));
  return parsed.data;
}
