// The two halves of a thrift call around the low-level `call()`: building its options (arg2 and
// arg3 encoded) and turning its result into the Response or the declared exception. The async
// client puts `TChannel.call` between them; @tchannel/sync puts its blocking `call` there, so
// every scheme of both clients goes through one low-level call.
import { type CallResult, InvalidArgumentError, type RawCallOptions, Response, UnexpectedError } from "@tchannel/channel";
import { type DecodeOptions, decodeStruct, encodeStruct } from "./binary-codec.js";
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
  const method: ThriftMethod = request.method;
  const service = options.service ?? request.service;
  if (method.oneway) throw new OneWayNotSupportedError(`${method.endpoint} is oneway; TChannel does not support oneway methods`, { service, endpoint: method.endpoint });
  let arg2: Buffer;
  let arg3: Buffer;
  try {
    arg2 = encodeThriftHeaders(options.headers);
    arg3 = encodeStruct(method.args, request.args, `${method.endpoint} arguments`);
  } catch (err) {
    throw new InvalidArgumentError(`cannot encode the thrift request: ${(err as Error).message}`, { service, endpoint: method.endpoint }, { cause: err });
  }
  // Not `{ ...rest, service, ... }`: V8 builds a spread followed by more properties on a slow path
  // (3.6 µs per call, measured for issue 7); assigning into a literal is ~50 ns.
  const call = Object.assign({ service, hostPort: request.hostPort, scheme: "thrift", arg1: method.endpoint, arg2, arg3 }, options) as RawCallOptions & { headers?: unknown; maxElements?: unknown };
  call.headers = undefined; // the thrift head is arg2, not a call option
  call.maxElements = undefined; // ours, for the response
  call.service = service;
  call.hostPort = options.hostPort ?? request.hostPort;
  call.scheme = "thrift";
  call.arg1 = method.endpoint;
  call.arg2 = arg2;
  call.arg3 = arg3;
  return call;
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
