// @tchannel/channel: connections, peers, calls and errors, plus the raw arg scheme.
// Other schemes plug in through `ArgScheme` (@tchannel/json, @tchannel/thrift).

export { TChannel } from "./tchannel.js";
export { TCHANNEL_OPTION_NAMES, type TChannelOptions } from "./options.js";
export { optionsError, unknownOptionsError } from "./options-error.js";
export { CALL_OPTION_KEYS, isCallOptionName, unknownCallOptionsError } from "./call-option-names.js";
export type { CallOptions, CallResult, InboundCall, InboundHandler, OutboundReply, RawCallOptions, RegisterOptions, TransportInfo } from "./call-types.js";
// The args a handler may answer with, bytes or written into the frame (issue 18).
export type { EncodableArg, OutgoingArg } from "@tchannel/frame";
export { ArgStream, STREAM_HIGH_WATER } from "./arg-stream.js";
export type { StreamBody } from "./body-pump.js";
export type { StreamedCallOptions, StreamedCallResult, StreamedHandler, StreamedInboundCall, StreamedReply } from "./streamed-types.js";
export { Response, type ArgScheme, type Handler, type Request, type SchemeCallOptions, type SchemeClient } from "./scheme.js";
export { rawScheme } from "./raw-scheme.js";
export { schemeCallOptions, schemeResponse } from "./scheme-call.js";
// For @tchannel/thrift: a call whose body is written straight into the frame (issue 18). Not API.
export { CALL_WITH_BODY_ARG } from "./request-body.js";
export { setCallInterceptor, type CallInterceptor } from "./call-interceptor.js";
export { setSyncCallInterceptor, syncCallInterceptor, type InterceptedChannel, type SyncCallInterceptor } from "./sync-call-interceptor.js";
export {
  AlreadyListeningError,
  BadRequestError,
  BusyError,
  CancelledError,
  ChannelClosedError,
  DeclinedError,
  FatalProtocolError,
  InvalidArgumentError,
  InvalidChecksumError,
  NetworkError,
  NoAvailablePeerError,
  TChannelError,
  TimeoutError,
  UnexpectedError,
  UnhealthyError,
  errorFromWire,
  errorFromPeer,
  ERROR_CLASSES_BY_NAME,
  type TChannelErrorClass,
  type CallDescription,
  type RetryCategory,
} from "./errors.js";
export {
  DEFAULT_RETRY_LIMIT,
  DEFAULT_RETRY_ON,
  RETRY_CONNECTION_ERROR,
  RETRY_CONNECTION_ERROR_AND_TIMEOUT,
  RETRY_NEVER,
  RETRY_TIMEOUT,
  shouldRetry,
  type RetryOn,
} from "./retry.js";
export { currentRequestContext, type RequestContext } from "./request-context.js";
export { EPHEMERAL_HOST_PORT, parseHostPort } from "./host-port.js";
export {
  CLIENT_ATTEMPT_CHANNEL,
  CLIENT_CALL_CHANNEL,
  CONNECTION_CLOSE_CHANNEL,
  CONNECTION_OPEN_CHANNEL,
  FRAME_ERROR_CHANNEL,
  SERVER_CALL_CHANNEL,
  ClientAttemptMessage,
  ClientCallMessage,
  ConnectionMessage,
  ServerCallMessage,
  type FrameErrorMessage,
} from "./diagnostics.js";
export { TRACING_HEADER_PREFIX, withoutTracingHeaders } from "./tracing-headers.js";
