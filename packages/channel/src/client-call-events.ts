import type { RawCallOptions } from "./call-types.js";
import { ClientCallMessage } from "./diagnostics.js";
import type { RequestContext } from "./request-context.js";

const EMPTY = Buffer.alloc(0);

/** The message of `tracing:tchannel:client:call:*` for a low-level call (made only with subscribers). */
export function clientCallMessage(options: RawCallOptions, channelName: string, context: RequestContext | undefined): ClientCallMessage {
  const arg1 = options.arg1;
  const endpoint = typeof arg1 === "string" ? arg1 : Buffer.from(arg1.buffer, arg1.byteOffset, arg1.byteLength).toString("utf8");
  return new ClientCallMessage(options.service, endpoint, options.scheme, options.callerName ?? channelName, options.hostPort, options.arg2 ?? EMPTY, context?.call);
}

/** `options` with the arg2 a `start` subscriber put in the message (e.g. with `$tracing$` headers). */
export function withMessageArg2(options: RawCallOptions, message: ClientCallMessage): RawCallOptions {
  if (message.arg2 === (options.arg2 ?? EMPTY)) return options;
  const copy = Object.assign({}, options);
  copy.arg2 = message.arg2;
  return copy;
}
