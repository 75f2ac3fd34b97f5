// @tchannel/thrift: Thrift IDL loaded at run time, served and called over TChannel (spec §15.3).
export { loadThrift, loadThriftSource, loadThriftSync, type LoadOptions, type ThriftMethod, type ThriftModule, type ThriftRequest, type ThriftService } from "./thrift-module.js";
export {
  thriftClient,
  type ThriftCallOptions,
  type ThriftClient,
  type ThriftHandler,
  type ThriftHeaders,
  type ThriftRegisterOptions,
  type HandlerResult,
} from "./thrift-client.js";
export { thriftCallOptions, thriftResponse } from "./thrift-call.js";
export { OneWayNotSupportedError, ThriftException, ThriftLoadError, ValueExpectedError } from "./thrift-errors.js";
export { ThriftCodecError, MAX_DEPTH, DEFAULT_MAX_ELEMENTS, type DecodeOptions } from "./binary-codec.js";
export { encodeThrift, decodeThrift, type ThriftStructType } from "./struct-codec.js";
export type { StructDef, FieldDef, ThriftType } from "./thrift-type.js";
export { META_IDL } from "./meta-service.js";
export { generateTypes, type GenerateOptions } from "./type-generator.js";
export { runTypesCli } from "./types-cli.js";
export type { ArgsOf, ResultOf } from "./thrift-client.js";
