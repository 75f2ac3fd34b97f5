import { ChecksumType, checksumSize, isChecksumType } from "./checksum.js";
import { FRAME_HEADER_SIZE, FLAG_MORE_FRAGMENTS, TRACING_SIZE } from "./constants.js";
import { FrameSizeError, MalformedFrameError, UnknownFrameTypeError, UnsupportedChecksumError } from "./errors.js";
import { FrameType } from "./frame-type.js";
import type { Frame } from "./frame.js";
import { readHeaderMap } from "./header-map.js";
import { PayloadReader } from "./payload-reader.js";

/**
 * Decodes one whole frame (header included). Strings are decoded; tracing and arg chunks are
 * zero-copy views of `bytes`, so keep `bytes` unchanged while the frame is in use. Throws a
 * FrameError subclass for anything malformed; never reads outside `bytes`.
 */
export function decodeFrame(bytes: Uint8Array): Frame {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < FRAME_HEADER_SIZE) throw new FrameSizeError(buf.length, buf.length);
  const size = (buf[0]! << 8) | buf[1]!;
  if (size !== buf.length) {
    throw new FrameSizeError(size, buf.length);
  }
  const type = buf[2]!;
  const id = ((buf[4]! << 24) | (buf[5]! << 16) | (buf[6]! << 8) | buf[7]!) >>> 0;
  const r = new PayloadReader(buf, FRAME_HEADER_SIZE, size, id, type);
  const frame = readPayload(r, type, id);
  if (r.offset !== r.end) throw new MalformedFrameError(`${r.end - r.offset} unexpected trailing bytes`, id, type);
  return frame;
}

function readPayload(r: PayloadReader, type: number, id: number): Frame {
  switch (type) {
    case FrameType.CallReq: {
      const flags = r.u8("flags");
      const ttl = r.u32("ttl");
      // tchannel-node treats ttl 0 as fatal (spec §12); we report it for this frame only.
      if (ttl === 0) throw new MalformedFrameError("ttl must be positive, got 0", id, type);
      const tracing = r.bytes(TRACING_SIZE, "tracing");
      const service = r.string(r.u8("service length"), "service");
      const headers = readHeaderMap(r, 1);
      const checksumType = readChecksumType(r);
      const checksum = readChecksum(r, checksumType);
      const args = readArgChunks(r, flags);
      return { type, id, flags, ttl, tracing, service, headers, checksumType, checksum, args };
    }
    case FrameType.CallRes: {
      const flags = r.u8("flags");
      const code = r.u8("code");
      const tracing = r.bytes(TRACING_SIZE, "tracing");
      const headers = readHeaderMap(r, 1);
      const checksumType = readChecksumType(r);
      const checksum = readChecksum(r, checksumType);
      const args = readArgChunks(r, flags);
      return { type, id, flags, code, tracing, headers, checksumType, checksum, args };
    }
    case FrameType.CallReqContinue:
    case FrameType.CallResContinue: {
      const flags = r.u8("flags");
      const checksumType = readChecksumType(r);
      const checksum = readChecksum(r, checksumType);
      const args = readArgChunks(r, flags);
      return { type, id, flags, checksumType, checksum, args };
    }
    case FrameType.InitReq:
    case FrameType.InitRes: {
      const version = r.u16("version");
      return { type, id, version, headers: readHeaderMap(r, 2) };
    }
    case FrameType.Cancel: {
      const ttl = r.u32("ttl");
      const tracing = r.bytes(TRACING_SIZE, "tracing");
      return { type, id, ttl, tracing, why: r.string(r.u16("why length"), "why") };
    }
    case FrameType.Claim:
      return { type, id, ttl: r.u32("ttl"), tracing: r.bytes(TRACING_SIZE, "tracing") };
    case FrameType.PingReq:
    case FrameType.PingRes:
      return { type, id };
    case FrameType.Error: {
      const code = r.u8("code");
      const tracing = r.bytes(TRACING_SIZE, "tracing");
      return { type, id, code, tracing, message: r.string(r.u16("message length"), "message") };
    }
    default:
      throw new UnknownFrameTypeError(type, id);
  }
}

/** `csumtype:1` (spec §8). */
function readChecksumType(r: PayloadReader): ChecksumType {
  const checksumType = r.u8("checksum type");
  if (!isChecksumType(checksumType)) throw new UnsupportedChecksumError(checksumType, r.frameId, r.frameType);
  return checksumType;
}

/** `(csum:4){0,1}`: present unless the type is none (spec §8). */
function readChecksum(r: PayloadReader, checksumType: ChecksumType): number {
  return checksumSize(checksumType) === 0 ? 0 : r.u32("checksum");
}

const EMPTY_ARG = Buffer.alloc(0);

/** Arg chunks `arg~2` to the end of the frame (spec §5, §9). */
function readArgChunks(r: PayloadReader, flags: number): Uint8Array[] {
  const args: Uint8Array[] = [];
  while (r.remaining > 0) {
    if (args.length === 3) throw new MalformedFrameError("more than 3 arg chunks", r.frameId, r.frameType);
    const n = r.u16("arg length");
    // Empty args (arg1 of every response, often arg2) share one buffer instead of a view each.
    args.push(n === 0 ? EMPTY_ARG : r.bytes(n, `arg${args.length + 1}`));
  }
  // Fewer than 3 args only makes sense when more fragments follow (spec §5); whether a first
  // frame holds all of arg1 and the start of arg2 is the assembler's check.
  const isFirst = r.frameType === FrameType.CallReq || r.frameType === FrameType.CallRes;
  if (isFirst && args.length < 3 && (flags & FLAG_MORE_FRAGMENTS) === 0) {
    throw new MalformedFrameError(`an unfragmented call message carries ${args.length} of 3 args`, r.frameId, r.frameType);
  }
  return args;
}
