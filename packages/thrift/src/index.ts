// @tchannel/thrift: Thrift IDL loaded at run time, served and called over TChannel (spec §15.3).
export { loadThrift, loadThriftSource, loadThriftSync, type LoadOptions, type ThriftMethod, type ThriftModule, type ThriftRequest, type ThriftService } from "./thrift-module.js";
export { thriftClient, type ThriftCallOptions, type ThriftClient, type ThriftHandler, type ThriftHeaders } from "./thrift-client.js";
export { thriftCallOptions, thriftResponse } from "./thrift-call.js";
export { OneWayNotSupportedError, ThriftException, ValueExpectedError } from "./thrift-errors.js";
export { ThriftCodecError, MAX_DEPTH } from "./binary-codec.js";
export { META_IDL } from "./meta-service.js";
export { generateTypes } from "./type-generator.js";
export type { ArgsOf, ResultOf } from "./thrift-client.js";
