// tchannel-ts: everything an application needs in one package. Smaller installs can depend on
// @tchannel/frame, @tchannel/channel, @tchannel/json, @tchannel/thrift, @tchannel/hyperbahn or
// @tchannel/sync alone.
export { TChannel } from "./tchannel.js";
export {
  AlreadyListeningError,
  BadRequestError,
  BusyError,
  CancelledError,
  ChannelClosedError,
  DEFAULT_RETRY_LIMIT,
  DEFAULT_RETRY_ON,
  DeclinedError,
  FatalProtocolError,
  InvalidArgumentError,
  InvalidChecksumError,
  NetworkError,
  NoAvailablePeerError,
  RETRY_CONNECTION_ERROR,
  RETRY_CONNECTION_ERROR_AND_TIMEOUT,
  RETRY_NEVER,
  RETRY_TIMEOUT,
  Response,
  TChannelError,
  TimeoutError,
  UnexpectedError,
  UnhealthyError,
  currentRequestContext,
  rawScheme,
  type ArgScheme,
  type CallOptions,
  type CallResult,
  type Handler,
  type Request,
  type RequestContext,
  type RetryCategory,
  type RetryOn,
  type SchemeCallOptions,
  type SchemeClient,
  type TChannelOptions,
  type TransportInfo,
} from "@tchannel/channel";
export { ChecksumType } from "@tchannel/frame";
export {
  AdvertiseRejectedError,
  HyperbahnClient,
  RouterFileError,
  readRouterFile,
  type AdvertiseOptions,
  type AdvertiseResult,
} from "@tchannel/hyperbahn";
export { jsonScheme, type JsonHeaders } from "@tchannel/json";
export { SyncTChannel } from "./sync-tchannel.js";
export { SyncWorkerError, type SyncTChannelOptions } from "@tchannel/sync";
export {
  DEFAULT_MAX_ELEMENTS,
  OneWayNotSupportedError,
  ThriftCodecError,
  ThriftException,
  ThriftLoadError,
  ValueExpectedError,
  decodeThrift,
  encodeThrift,
  generateTypes,
  loadThrift,
  loadThriftSource,
  loadThriftSync,
  type LoadOptions,
  type ThriftCallOptions,
  type ThriftClient,
  type ThriftHandler,
  type ThriftHeaders,
  type ThriftMethod,
  type ThriftModule,
  type ThriftRegisterOptions,
  type ThriftRequest,
  type ThriftService,
  type ThriftStructType,
} from "@tchannel/thrift";

import { decodeThrift, encodeThrift, loadThrift, loadThriftSync } from "@tchannel/thrift";

/**
 * tchannel-python's `from tchannel import thrift; thrift.load(path, service=...)`, and the codec
 * without a channel: `thrift.encode(kv.Entry, value)`, `thrift.decode(kv.Entry, bytes)`.
 */
export const thrift = { load: loadThrift, loadSync: loadThriftSync, encode: encodeThrift, decode: decodeThrift } as const;
