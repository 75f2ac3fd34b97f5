// The two halves of a thrift call around the low-level `call()`: building its options (arg2 and
// arg3 encoded) and turning its result into the Response or the declared exception. The async
// client puts `TChannel.call` between them; @tchannel/sync puts its blocking `call` there, so
// every scheme of both clients goes through one low-level call.
import { type CallResult, InvalidArgumentError, type RawCallOptions, Response, UnexpectedError } from "@tchannel/channel";
import type { EncodableArg } from "@tchannel/frame";
import { type DecodeOptions, decodeStruct, encodeStruct, structArg } from "./binary-codec.js";
import type { ThriftCallOptions, ThriftHeaders } from "./thrift-client.js";
import { OneWayNotSupportedError } from "./thrift-errors.js";
import type { ThriftMethod, ThriftRequest } from "./thrift-module.js";
import { decodeThriftHeaders, encodeThriftHeaders } from "./thrift-headers.js";

/**
 * The low-level call options of a thrift request; throws InvalidArgumentError (a local mistake)
 * when it cannot be encoded. arg2 and arg3 are views of a buffer shared by many encodes: send
 * them, do not keep them (copy them to keep; a kept view keeps up to 64 KiB alive).
 */
export function thriftCallOptions(request: ThriftRequest, options: ThriftCallOptions = {}): RawCallOptions {
  const call = thriftCallHead(request, options);
  const method: ThriftMethod = request.method;
  try {
    call.arg3 = encodeStruct(method.args, request.args, `${method.endpoint} arguments`);
  } catch (err) {
    throw encodeFailure(call.service, method, err);
  }
  return call;
}

/**
 * The low-level call options of a thrift request with arg3 left undefined, for `thriftCallBody`
 * written straight into the frame (issue 18); throws as thriftCallOptions, in the same order.
 */
export function thriftCallHead(request: ThriftRequest, options: ThriftCallOptions): RawCallOptions {
  const method: ThriftMethod = request.method;
  const service = options.service ?? request.service;
  if (method.oneway) throw new OneWayNotSupportedError(`${method.endpoint} is oneway; TChannel does not support oneway methods`, { service, endpoint: method.endpoint });
  let arg2: Buffer;
  try {
    arg2 = encodeThriftHeaders(options.headers);
  } catch (err) {
    throw encodeFailure(service, method, err);
  }
  // Every low-level option spelled out (not `Object.assign(literal, options)`): thrift's own
  // `headers` and `maxElements` must not reach `call()`, which rejects keys it does not know; the
  // `satisfies` makes an option added to RawCallOptions a compile error until it is copied here.
  // One literal of one shape, no spread (a spread followed by properties is V8's slow path, issue 7).
  const call: RawCallOptions = {
    service,
    scheme: "thrift",
    arg1: method.endpoint,
    arg2,
    arg3: undefined,
    timeout: options.timeout,
    timeoutPerAttempt: options.timeoutPerAttempt,
    retryOn: options.retryOn,
    retryLimit: options.retryLimit,
    hostPort: options.hostPort ?? request.hostPort,
    shardKey: options.shardKey,
    routingDelegate: options.routingDelegate,
    callerName: options.callerName,
    checksumType: options.checksumType,
    signal: options.signal,
    transportHeaders: options.transportHeaders,
  } satisfies Record<keyof RawCallOptions, unknown>;
  return call;
}

/**
 * A thrift request's args as arg3 written straight into the call req frame (issue 18): sized now,
 * so a value that cannot be encoded throws here, as InvalidArgumentError; the same bytes as
 * thriftCallOptions' arg3.
 */
export function thriftCallBody(request: ThriftRequest, service: string): EncodableArg {
  const method: ThriftMethod = request.method;
  try {
    return structArg(method.args, request.args, `${method.endpoint} arguments`);
  } catch (err) {
    throw encodeFailure(service, method, err);
  }
}

function encodeFailure(service: string, method: ThriftMethod, err: unknown): InvalidArgumentError {
  return new InvalidArgumentError(`cannot encode the thrift request: ${(err as Error).message}`, { service, endpoint: method.endpoint }, { cause: err });
}

/**
 * The Response of a thrift call's result; an application error throws the declared exception (an
 * instance of the module's class), a result that cannot be decoded UnexpectedError.
 */
export function thriftResponse<Result>(request: ThriftRequest<Result>, result: CallResult, service = request.service, decodeOptions?: DecodeOptions): Response<Result, ThriftHeaders> {
  const method: ThriftMethod = request.method;
  let headers: ThriftHeaders;
  let value: Record<string, unknown>;
  try {
    headers = decodeThriftHeaders(result.arg2);
    value = decodeStruct(method.result, result.arg3, `${method.endpoint} result`, decodeOptions);
  } catch (err) {
    throw new UnexpectedError(`cannot decode the thrift response: ${(err as Error).message}`, { service, endpoint: method.endpoint, hostPort: result.hostPort }, { cause: err });
  }
  if (!result.ok) {
    for (const field of method.exceptions) {
      const exception = value[field.name];
      if (exception !== undefined) throw exception;
    }
    throw new UnexpectedError("thrift application error with no declared exception set", { service, endpoint: method.endpoint, hostPort: result.hostPort });
  }
  const response = new Response<Result, ThriftHeaders>((method.returnsValue ? value.success : null) as Result, headers);
  // Filled in: the constructor made this response its own transport object.
  const transport = response.transport;
  transport.headers = result.headers;
  transport.scheme = "thrift";
  transport.hostPort = result.hostPort;
  return response;
}
