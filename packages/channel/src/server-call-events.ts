import { type CallReqFrame, ErrorCode } from "@tchannel/frame";
import type { OutboundReply } from "./call-types.js";
import { ServerCallMessage, serverCallChannel } from "./diagnostics.js";
import { TChannelError } from "./errors.js";

// The publish points of `tracing:tchannel:server:call:*`, kept out of the dispatcher's flow:
// it calls these only when `serverCallChannel.hasSubscribers` was true as the call arrived.

export function serverCallMessage(frame: CallReqFrame, endpoint: string, scheme: string, callerName: string, remoteHostPort: string, arg2: Buffer): ServerCallMessage {
  return new ServerCallMessage(frame.service, endpoint, scheme, callerName, remoteHostPort, frame.tracing, frame.ttl, frame.headers, arg2);
}

/** The handler's answer or failure is known (before it is written). */
export function serverCallSettled(message: ServerCallMessage, reply: OutboundReply | undefined, error: unknown): void {
  if (error === undefined) {
    message.ok = reply!.ok;
    message.code = reply!.ok ? 0 : 1;
  } else {
    message.error = error;
    message.code = error instanceof TChannelError && error.wireCode !== undefined ? error.wireCode : ErrorCode.Unexpected;
    serverCallChannel.error.publish(message);
  }
  serverCallChannel.asyncStart.publish(message);
}

/** The answer was written (`code`: the call res code, or the error frame's if writing the reply failed). */
export function serverCallAnswered(message: ServerCallMessage, failure: unknown): void {
  if (failure !== undefined && message.error === undefined) {
    message.ok = undefined;
    message.error = failure;
    message.code = failure instanceof TChannelError && failure.wireCode !== undefined ? failure.wireCode : ErrorCode.Unexpected;
    serverCallChannel.error.publish(message);
  }
  serverCallChannel.asyncEnd.publish(message);
}

/** A streamed call ended early (timeout, cancel, closed connection) before or after its answer started. */
export function serverCallEnded(message: ServerCallMessage, error: TChannelError): void {
  if (message.ok === undefined && message.error === undefined) serverCallAbandoned(message, error);
  else serverCallAnswered(message, error);
}

/** The call ended before the handler answered: timeout, cancel, or its connection closed. */
export function serverCallAbandoned(message: ServerCallMessage, error: TChannelError): void {
  message.error = error;
  message.code = error.wireCode;
  serverCallChannel.error.publish(message);
  serverCallChannel.asyncStart.publish(message);
  serverCallChannel.asyncEnd.publish(message);
}
