// A call req codec built from bufrw 1.4.0 combinators, the library tchannel-node used for its
// wire format. It exists only as a baseline for frame-bench.mjs: same input shape and same bytes
// as encodeCallReq/decodeFrame, for an unfragmented call req (one frame, three whole args).
//
// Wire layout (spec §2, §5):
//   size:2 type:1 reserved:1 id:4 reserved:8
//   flags:1 ttl:4 tracing:25 service~1 nh:1 (hk~1 hv~1){nh} csumtype:1 (csum:4){0,1} arg1~2 arg2~2 arg3~2
//
// Choices that keep the comparison fair to bufrw:
// - the pooled entry points (poolByteLength/poolWriteInto/poolReadFrom with reused result
//   objects) and Buffer.allocUnsafe, not bufrw.toBuffer/fromBuffer, which allocate result
//   wrappers and zero-fill the output;
// - args are read lazily (zero-copy slices), like decodeFrame's views; bufrw.buf2 would copy;
// - like decodeFrame, decoding does not verify the checksum (MessageAssembler does that).
// bufrw's buffer types require Node Buffers (not plain Uint8Arrays) for tracing and args.
import bufrw from "bufrw";
import { ChecksumType, FrameType, computeChecksum } from "../dist/index.js";

/** The csum field of spec §8: a `csumtype:1` tag, then 4 bytes unless the type is none. */
class Checksum {
  constructor(type, value) {
    this.type = type;
    this.value = value;
  }
}

const checksumRW = bufrw.Switch(
  bufrw.UInt8,
  {
    [ChecksumType.None]: bufrw.Null,
    [ChecksumType.Crc32]: bufrw.UInt32BE,
    [ChecksumType.Farmhash32]: bufrw.UInt32BE,
    [ChecksumType.Crc32C]: bufrw.UInt32BE,
  },
  { cons: Checksum, valKey: "type", dataKey: "value" },
);

// Transport headers `nh:1 (hk~1 hv~1){nh}` (spec §7). Repeat/Series speak arrays of [key, value]
// pairs; this thin adapter maps them to and from the plain object our codec uses, so both codecs
// take and return the same shape (and pay for it: about a fifth of bufrw's time in a CPU profile;
// tchannel-node hand-wrote this one RW instead).
const headerPairsRW = bufrw.Repeat(bufrw.UInt8, bufrw.Series(bufrw.str1, bufrw.str1));
const headersRW = bufrw.Base(
  (dest, headers) => headerPairsRW.poolByteLength(dest, Object.entries(headers)),
  (dest, buffer, offset) => {
    headerPairsRW.poolReadFrom(dest, buffer, offset);
    if (!dest.err) dest.value = Object.fromEntries(dest.value);
    return dest;
  },
  (dest, headers, buffer, offset) => headerPairsRW.poolWriteInto(dest, Object.entries(headers), buffer, offset),
  true,
);

/** `arg~2`, read as a zero-copy slice (the `true` asks VariableBuffer for lazy reads). */
const argRW = bufrw.VariableBuffer(bufrw.UInt16BE, true);

/** The whole frame, header included, as one flat Struct. Unnamed fields are reserved bytes. */
const callReqFrameRW = bufrw.Struct([
  { name: "size", rw: bufrw.UInt16BE },
  { name: "type", rw: bufrw.UInt8 },
  { rw: bufrw.Skip(1) },
  { name: "id", rw: bufrw.UInt32BE },
  { rw: bufrw.Skip(8) },
  { name: "flags", rw: bufrw.UInt8 },
  { name: "ttl", rw: bufrw.UInt32BE },
  { name: "tracing", rw: bufrw.FixedWidth(25) },
  { name: "service", rw: bufrw.str1 },
  { name: "headers", rw: headersRW },
  { name: "checksum", rw: checksumRW },
  { name: "args", rw: bufrw.Series(argRW, argRW, argRW) },
]);

// Result objects reused across calls, as bufrw's pooled API intends.
const lengthResult = new bufrw.LengthResult();
const writeResult = new bufrw.WriteResult();
const readResult = new bufrw.ReadResult();

/**
 * Encodes `msg` (the CallReqMessage shape of encodeCallReq, with Buffer tracing and args) as one
 * call req frame. Two passes, as bufrw is designed: byteLength to size the buffer, then write.
 */
export function bufrwEncodeCallReq(msg) {
  const { checksumType, args } = msg;
  const frame = {
    size: 0,
    type: FrameType.CallReq,
    id: msg.id,
    flags: 0,
    ttl: msg.ttl,
    tracing: msg.tracing,
    service: msg.service,
    headers: msg.headers,
    checksum: new Checksum(checksumType, checksumType === ChecksumType.None ? null : computeChecksum(checksumType, args, 0)),
    args,
  };
  callReqFrameRW.poolByteLength(lengthResult, frame);
  if (lengthResult.err) throw lengthResult.err;
  frame.size = lengthResult.length;
  const buf = Buffer.allocUnsafe(frame.size);
  callReqFrameRW.poolWriteInto(writeResult, frame, buf, 0);
  if (writeResult.err) throw writeResult.err;
  if (writeResult.offset !== buf.length) throw new Error(`bufrw wrote ${writeResult.offset} of ${buf.length} bytes`);
  return buf;
}

/**
 * Decodes one whole call req frame into `{size, type, id, flags, ttl, tracing, service, headers,
 * checksum: {type, value}, args}`. Throws on any bufrw error, a size mismatch or another type.
 */
export function bufrwDecodeCallReq(bytes) {
  // Struct recycles `readResult.value` when it has the right constructor; the caller keeps each
  // decoded frame, so start from a fresh object every time.
  readResult.value = null;
  callReqFrameRW.poolReadFrom(readResult, bytes, 0);
  if (readResult.err) throw readResult.err;
  const frame = readResult.value;
  if (frame.size !== bytes.length || readResult.offset !== bytes.length) {
    throw new Error(`frame size ${frame.size}, read ${readResult.offset} of ${bytes.length} bytes`);
  }
  if (frame.type !== FrameType.CallReq) throw new Error(`not a call req: type 0x${frame.type.toString(16)}`);
  return frame;
}
