import { ChecksumType, checksumSize, computeChecksum } from "./checksum.js";
import { FRAME_HEADER_SIZE, MAX_ARG1_SIZE, MAX_FRAME_SIZE, NULL_ID, TRACING_SIZE } from "./constants.js";
import { FrameEncodeError } from "./errors.js";
import { FrameType, frameTypeName } from "./frame-type.js";
import type { ArgsFrame, CallReqFrame, CallResFrame, Frame, HeaderMap } from "./frame.js";
import { headerMapLength, writeHeaderMap } from "./header-map.js";
import { utf8Length, writeUtf8 } from "./short-string.js";

/**
 * Encodes one frame, header included (spec §2-§10). Call and continue frames are written as given:
 * their args must already fit in one frame (use `encodeCallMessage` to fragment a whole message),
 * and a missing `checksum` is computed with seed 0.
 */
export function encodeFrame(frame: Frame): Buffer {
  const size = FRAME_HEADER_SIZE + payloadLength(frame);
  if (size > MAX_FRAME_SIZE) {
    throw new FrameEncodeError(`${frameTypeName(frame.type)} frame of ${size} bytes exceeds ${MAX_FRAME_SIZE}; fragment it`);
  }
  const buf = Buffer.allocUnsafe(size);
  writeFrameHeader(buf, 0, size, frame.type, frame.id);
  const end = writePayload(buf, FRAME_HEADER_SIZE, frame);
  if (end !== size) throw new FrameEncodeError(`internal: wrote ${end} bytes of a ${size}-byte frame`);
  return buf;
}

/** `size:2 type:1 reserved:1 id:4 reserved:8` (spec §2). */
export function writeFrameHeader(buf: Buffer, offset: number, size: number, type: number, id: number): void {
  if (!Number.isInteger(id) || id < 0 || id > NULL_ID) throw new FrameEncodeError(`frame id ${id} is not a uint32`);
  buf[offset] = size >>> 8;
  buf[offset + 1] = size;
  buf[offset + 2] = type;
  buf[offset + 3] = 0;
  buf[offset + 4] = id >>> 24;
  buf[offset + 5] = id >>> 16;
  buf[offset + 6] = id >>> 8;
  buf[offset + 7] = id;
  // Reserved bytes: explicit stores beat fill() for 8 bytes (docs/toolchain.md, "Buffer writes").
  for (let i = offset + 8; i < offset + 16; i++) buf[i] = 0;
}

function payloadLength(frame: Frame): number {
  switch (frame.type) {
    case FrameType.InitReq:
    case FrameType.InitRes:
      return 2 + headerMapLength(frame.headers, 2);
    case FrameType.CallReq:
      return callReqPrefixLength(frame.service, frame.headers, frame.checksumType) + argsLength(frame.args);
    case FrameType.CallRes:
      return callResPrefixLength(frame.headers, frame.checksumType) + argsLength(frame.args);
    case FrameType.CallReqContinue:
    case FrameType.CallResContinue:
      return continuePrefixLength(frame.checksumType) + argsLength(frame.args);
    case FrameType.Cancel:
      return 4 + TRACING_SIZE + 2 + Buffer.byteLength(frame.why);
    case FrameType.Claim:
      return 4 + TRACING_SIZE;
    case FrameType.PingReq:
    case FrameType.PingRes:
      return 0;
    case FrameType.Error:
      return 1 + TRACING_SIZE + 2 + Buffer.byteLength(frame.message);
    default:
      throw new FrameEncodeError(`unknown frame type ${(frame as { type: number }).type}`);
  }
}

function writePayload(buf: Buffer, o: number, frame: Frame): number {
  switch (frame.type) {
    case FrameType.InitReq:
    case FrameType.InitRes:
      o = writeU16(buf, o, frame.version);
      return writeHeaderMap(buf, o, frame.headers, 2);
    case FrameType.CallReq:
      o = writeCallReqPrefix(buf, o, frame);
      return writeArgsAndChecksum(buf, o, frame);
    case FrameType.CallRes:
      o = writeCallResPrefix(buf, o, frame);
      return writeArgsAndChecksum(buf, o, frame);
    case FrameType.CallReqContinue:
    case FrameType.CallResContinue:
      buf[o++] = frame.flags;
      buf[o++] = frame.checksumType;
      return writeArgsAndChecksum(buf, o, frame);
    case FrameType.Cancel:
      o = writeU32(buf, o, positiveTtl(frame.ttl, true));
      o = writeTracing(buf, o, frame.tracing);
      return writeString2(buf, o, frame.why);
    case FrameType.Claim:
      o = writeU32(buf, o, positiveTtl(frame.ttl, true));
      return writeTracing(buf, o, frame.tracing);
    case FrameType.PingReq:
    case FrameType.PingRes:
      return o;
    case FrameType.Error:
      buf[o++] = frame.code;
      o = writeTracing(buf, o, frame.tracing);
      return writeString2(buf, o, frame.message);
  }
}

/** Bytes of a call req up to and including the checksum (spec §5): what must fit in the first frame. */
export function callReqPrefixLength(service: string, headers: HeaderMap, checksumType: ChecksumType): number {
  const serviceLength = utf8Length(service);
  if (serviceLength > 0xff) throw new FrameEncodeError(`service name of ${serviceLength} bytes exceeds 255`);
  return 1 + 4 + TRACING_SIZE + 1 + serviceLength + headerMapLength(headers, 1) + 1 + checksumSize(checksumType);
}

/** Bytes of a call res up to and including the checksum (spec §6). */
export function callResPrefixLength(headers: HeaderMap, checksumType: ChecksumType): number {
  return 1 + 1 + TRACING_SIZE + headerMapLength(headers, 1) + 1 + checksumSize(checksumType);
}

/** Bytes of a continue frame's payload before its arg chunks (spec §9). */
export function continuePrefixLength(checksumType: ChecksumType): number {
  return 2 + checksumSize(checksumType);
}

/** `flags` defaults to 0: a whole message's first frame gets its flags from the fragmenter. */
type CallReqPrefix = Pick<CallReqFrame, "ttl" | "tracing" | "service" | "headers" | "checksumType"> & { flags?: number };
type CallResPrefix = Pick<CallResFrame, "code" | "tracing" | "headers" | "checksumType"> & { flags?: number };

/** Writes a call req payload up to the csumtype byte; returns the offset of the csum (if any). */
export function writeCallReqPrefix(buf: Buffer, o: number, f: CallReqPrefix): number {
  buf[o++] = f.flags ?? 0;
  o = writeU32(buf, o, positiveTtl(f.ttl, false));
  o = writeTracing(buf, o, f.tracing);
  const n = writeUtf8(buf, o + 1, f.service);
  buf[o] = n;
  o = writeHeaderMap(buf, o + 1 + n, f.headers, 1);
  buf[o++] = f.checksumType;
  return o;
}

/** Writes a call res payload up to the csumtype byte; returns the offset of the csum (if any). */
export function writeCallResPrefix(buf: Buffer, o: number, f: CallResPrefix): number {
  buf[o++] = f.flags ?? 0;
  buf[o++] = f.code;
  o = writeTracing(buf, o, f.tracing);
  o = writeHeaderMap(buf, o, f.headers, 1);
  buf[o++] = f.checksumType;
  return o;
}

/** Writes the csum placeholder and the arg chunks of one frame; `o` is the csum's offset. */
function writeArgsAndChecksum(buf: Buffer, o: number, frame: ArgsFrame): number {
  const csumAt = o;
  o += checksumSize(frame.checksumType);
  const args = frame.args;
  if (frame.type === FrameType.CallReq && (args[0]?.length ?? 0) > MAX_ARG1_SIZE) {
    throw new FrameEncodeError(`arg1 of ${args[0]!.length} bytes exceeds ${MAX_ARG1_SIZE}`);
  }
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    o = writeU16(buf, o, arg.length);
    buf.set(arg, o);
    o += arg.length;
  }
  if (frame.checksumType !== ChecksumType.None) {
    writeU32(buf, csumAt, frame.checksum ?? computeChecksum(frame.checksumType, args, 0));
  }
  return o;
}

function argsLength(args: Uint8Array[]): number {
  if (args.length > 3) throw new FrameEncodeError(`a frame carries at most 3 arg chunks, got ${args.length}`);
  let n = 0;
  for (const arg of args) {
    if (arg.length > 0xffff) throw new FrameEncodeError(`arg chunk of ${arg.length} bytes exceeds 65535; fragment it`);
    n += 2 + arg.length;
  }
  return n;
}

function positiveTtl(ttl: number, zeroAllowed: boolean): number {
  if (!Number.isInteger(ttl) || ttl < (zeroAllowed ? 0 : 1) || ttl > 0xffffffff) {
    throw new FrameEncodeError(`ttl ${ttl} must be an integer number of ms ${zeroAllowed ? ">= 0" : "> 0"} (spec §12)`);
  }
  return ttl;
}

function writeTracing(buf: Buffer, o: number, tracing: Uint8Array): number {
  if (tracing.length !== TRACING_SIZE) throw new FrameEncodeError(`tracing must be ${TRACING_SIZE} bytes, got ${tracing.length}`);
  buf.set(tracing, o);
  return o + TRACING_SIZE;
}

function writeString2(buf: Buffer, o: number, s: string): number {
  const n = buf.write(s, o + 2, "utf8");
  writeU16(buf, o, n);
  return o + 2 + n;
}

export function writeU16(buf: Buffer, o: number, v: number): number {
  buf[o] = v >>> 8;
  buf[o + 1] = v;
  return o + 2;
}

export function writeU32(buf: Buffer, o: number, v: number): number {
  buf[o] = v >>> 24;
  buf[o + 1] = v >>> 16;
  buf[o + 2] = v >>> 8;
  buf[o + 3] = v;
  return o + 4;
}
