// @tchannel/frame: the TChannel v2 wire codec. Pure functions and small state machines over
// bytes; no sockets, no timers. The byte-exact reference is tchannel-protocol.md (spec §n below).

export { ChecksumType, checksumSize, computeChecksum, nativeChecksums, updateChecksum } from "./checksum.js";
export {
  FLAG_MORE_FRAGMENTS,
  FRAME_HEADER_SIZE,
  MAX_ARG1_SIZE,
  MAX_FRAME_SIZE,
  MAX_MESSAGE_ID,
  MAX_PAYLOAD_SIZE,
  MAX_SENT_TRANSPORT_HEADER_KEY_SIZE,
  MAX_TRANSPORT_HEADERS,
  MAX_TRANSPORT_HEADER_KEY_SIZE,
  NULL_ID,
  PROTOCOL_VERSION,
  TRACING_SIZE,
} from "./constants.js";
export { decodeFrame } from "./decode-frame.js";
export { argSize, isOutgoingArg, type EncodableArg, type OutgoingArg } from "./encodable-arg.js";
export { encodeCallReq, encodeCallRes, type CallReqMessage, type CallResMessage } from "./encode-call-message.js";
export { encodeFrame } from "./encode-frame.js";
export { FragmentWriter, encodeCallReqPieces, encodeCallResPieces, type CallReqHead, type CallResHead } from "./fragment-writer.js";
export { ErrorCode, errorCodeName, isKnownErrorCode } from "./error-code.js";
export {
  ArgTooLargeError,
  ChecksumMismatchError,
  FragmentationError,
  FrameEncodeError,
  FrameError,
  FrameSizeError,
  InvalidHeaderError,
  MalformedFrameError,
  MessageTooLargeError,
  PartialMessageLimitError,
  TruncatedFrameError,
  UnknownFrameTypeError,
  UnsupportedChecksumError,
  type HeaderProblem,
} from "./errors.js";
export { FrameDecoder, FrameReader, type FrameReaderOptions } from "./frame-reader.js";
export { FrameType, frameTypeName, isKnownFrameType } from "./frame-type.js";
// Internal building block of @tchannel/channel (per-connection tables of calls by id); see id-table.ts.
export { IdTable } from "./id-table.js";
export type {
  ArgsFrame,
  ArgsFrameFields,
  CallReqFrame,
  CallResFrame,
  CancelFrame,
  ClaimFrame,
  ContinueFrame,
  ErrorFrame,
  Frame,
  HeaderMap,
  InitFrame,
  PingFrame,
} from "./frame.js";
export { decodeHeaderMap, encodeHeaderMap, newHeaderMap, type HeaderWidth } from "./header-map.js";
export { decodeShortString } from "./short-string.js";
export { MessageAssembler, type ArgSink, type AssembledMessage, type MessageAssemblerOptions } from "./message-assembler.js";
export { EMPTY_TRACING, childTracing, decodeTracing, encodeTracing, rootTracing, type Tracing } from "./tracing.js";
