// @tchannel/tcurl: curl for TChannel. The `tcurl` bin is dist/cli.js; runTcurl runs the same
// command in-process (tests, scripts).
export { runTcurl, type TcurlIO } from "./run.js";
export { EXIT, UsageError } from "./exit-codes.js";
export { parseCommandLine, DEFAULT_CALLER, DEFAULT_TIMEOUT_MS, type Scheme, type TcurlCommand } from "./options.js";
export { JsonValueError, fromJson, structFromJson, structToJson, toJson } from "./json-values.js";
