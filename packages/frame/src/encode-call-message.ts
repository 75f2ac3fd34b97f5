import { ChecksumType, checksumSize, updateChecksum } from "./checksum.js";
import { FLAG_MORE_FRAGMENTS, FRAME_HEADER_SIZE, MAX_ARG1_SIZE, MAX_FRAME_SIZE } from "./constants.js";
import {
  callReqPrefixLength,
  callResPrefixLength,
  continuePrefixLength,
  writeCallReqPrefix,
  writeCallResPrefix,
  writeFrameHeader,
  writeU16,
  writeU32,
} from "./encode-frame.js";
import { type OutgoingArg, argBytes, argSize, isOutgoingArg, writeEncodable } from "./encodable-arg.js";
import { FrameEncodeError } from "./errors.js";
import { allocFrameBuffer } from "./frame-slab.js";
import { FrameType } from "./frame-type.js";
import type { HeaderMap } from "./frame.js";

/**
 * A whole call request: three complete args, split into frames by `encodeCallReq`. arg2 and arg3
 * may be encodable args (written straight into the frame); arg1 is bytes.
 */
export interface CallReqMessage {
  id: number;
  ttl: number;
  tracing: Uint8Array;
  service: string;
  headers: HeaderMap;
  checksumType: ChecksumType;
  args: readonly [Uint8Array, OutgoingArg, OutgoingArg];
}

/** A whole call response: three complete args, split into frames by `encodeCallRes`. */
export interface CallResMessage {
  id: number;
  code: number;
  tracing: Uint8Array;
  headers: HeaderMap;
  checksumType: ChecksumType;
  args: readonly [Uint8Array, OutgoingArg, OutgoingArg];
}

/**
 * Encodes a call request as one call req frame, or as a call req followed by call req continue
 * frames when the args do not fit (spec §9), all in one contiguous buffer ready for one socket
 * write. `maxFrameSize` is for tests; the protocol's limit is the default.
 */
export function encodeCallReq(msg: CallReqMessage, maxFrameSize = MAX_FRAME_SIZE): Buffer {
  if (typeof msg.service !== "string") throw new FrameEncodeError(`service must be a string, got ${typeof msg.service}`);
  const prefix = callReqPrefixLength(msg.service, msg.headers, msg.checksumType);
  if (msg.args[0].length > MAX_ARG1_SIZE) throw new FrameEncodeError(`arg1 of ${msg.args[0].length} bytes exceeds ${MAX_ARG1_SIZE}`);
  return encodeMessage(msg, prefix, maxFrameSize, FrameType.CallReq, FrameType.CallReqContinue, writeReqPrefix);
}

/** Encodes a call response the same way, with call res continue frames (spec §6, §9). */
export function encodeCallRes(msg: CallResMessage, maxFrameSize = MAX_FRAME_SIZE): Buffer {
  const prefix = callResPrefixLength(msg.headers, msg.checksumType);
  return encodeMessage(msg, prefix, maxFrameSize, FrameType.CallRes, FrameType.CallResContinue, writeResPrefix);
}

// Module-level, so encoding a message allocates no closure; flags are written by the caller.
type PrefixWriter = (buf: Buffer, o: number, msg: MessageBase) => number;
const writeReqPrefix: PrefixWriter = (buf, o, msg) => writeCallReqPrefix(buf, o, msg as CallReqMessage);
const writeResPrefix: PrefixWriter = (buf, o, msg) => writeCallResPrefix(buf, o, msg as CallResMessage);

interface MessageBase {
  id: number;
  checksumType: ChecksumType;
  args: readonly [Uint8Array, OutgoingArg, OutgoingArg];
}

/** The fragmenter's view of a message: its args as bytes. */
interface BytesMessage extends MessageBase {
  args: readonly [Uint8Array, Uint8Array, Uint8Array];
}

function encodeMessage(
  msg: MessageBase,
  firstPrefix: number,
  maxFrameSize: number,
  firstType: number,
  continueType: number,
  writePrefix: PrefixWriter,
): Buffer {
  const [a1, a2, a3] = msg.args;
  // Whatever a caller hands us (a number where a string belongs makes a size NaN), never loop:
  // every size below must be a whole number before the fragmenter runs.
  if (!Number.isInteger(firstPrefix) || !isByteArray(a1) || !isOutgoingArg(a2) || !isOutgoingArg(a3)) {
    throw new FrameEncodeError("a call message needs string fields, string header values, arg1 as bytes and arg2, arg3 as bytes or encodable args");
  }
  if (!Number.isInteger(maxFrameSize) || maxFrameSize > MAX_FRAME_SIZE) throw new FrameEncodeError(`frame size ${maxFrameSize} is not an integer up to ${MAX_FRAME_SIZE}`);
  const maxPayload = maxFrameSize - FRAME_HEADER_SIZE;
  const single = firstPrefix + 6 + a1.length + argSize(a2) + argSize(a3);
  if (single <= maxPayload) {
    // The common case: one frame, exact size, no planning pass. An encodable arg writes its bytes
    // here, in place (issue 18: once, not into a buffer of its own and then copied).
    const buf = allocFrameBuffer(FRAME_HEADER_SIZE + single);
    writeFrameHeader(buf, 0, FRAME_HEADER_SIZE + single, firstType, msg.id);
    const csumAt = writePrefix(buf, FRAME_HEADER_SIZE, msg);
    const type = msg.checksumType;
    let csum = 0;
    let o = csumAt + checksumSize(type);
    o = writeChunk(buf, o, a1, 0, a1.length);
    if (type !== ChecksumType.None) csum = updateChecksum(type, csum, a1);
    const a2At = o + 2;
    o = writeArg(buf, o, a2);
    if (type !== ChecksumType.None) csum = updateChecksum(type, csum, buf.subarray(a2At, o));
    const a3At = o + 2;
    o = writeArg(buf, o, a3);
    if (type !== ChecksumType.None) writeU32(buf, csumAt, updateChecksum(type, csum, buf.subarray(a3At, o)));
    return buf;
  }
  // Too large for one frame: encodable args become bytes of their own, then are fragmented.
  const bytes: BytesMessage = a2 instanceof Uint8Array && a3 instanceof Uint8Array ? (msg as BytesMessage) : withArgs(msg, [a1, argBytes(a2), argBytes(a3)]);
  // arg1 whole and the start of arg2 must be in the first frame (spec §5, §19.7).
  if (firstPrefix + 4 + a1.length + (argSize(a2) > 0 ? 1 : 0) > maxPayload) {
    throw new FrameEncodeError(`arg1 and the start of arg2 do not fit in the first frame of ${maxFrameSize} bytes`);
  }
  if (continuePrefixLength(msg.checksumType) + 3 > maxPayload) throw new FrameEncodeError(`frame size ${maxFrameSize} is too small`);
  const size = writeFragments(null, bytes, maxFrameSize, firstType, continueType, writePrefix, firstPrefix);
  const buf = allocFrameBuffer(size);
  writeFragments(buf, bytes, maxFrameSize, firstType, continueType, writePrefix, firstPrefix);
  return buf;
}

/** `msg` with `args` instead of its own (its other fields as they are). */
function withArgs(msg: MessageBase, args: readonly [Uint8Array, Uint8Array, Uint8Array]): BytesMessage {
  const copy = Object.assign({}, msg) as BytesMessage;
  copy.args = args;
  return copy;
}

/**
 * The fragmenting writer of spec §9. With `out === null` it only measures. Each frame takes as
 * many arg bytes as fit; an arg that ends exactly where a frame with "more fragments" ends stays
 * open for the receiver, so the next frame first closes it with an empty chunk. Like tchannel-go,
 * it never starts a non-empty arg with only its 2-byte length left in a frame.
 */
function writeFragments(
  out: Buffer | null,
  msg: BytesMessage,
  maxFrameSize: number,
  firstType: number,
  continueType: number,
  writePrefix: PrefixWriter,
  firstPrefix: number,
): number {
  const { args, checksumType } = msg;
  const csumSize = checksumSize(checksumType);
  let argIndex = 0;
  let argOffset = 0;
  let csum = 0;
  let o = 0;
  for (let first = true; ; first = false) {
    const frameStart = o;
    const startArg = argIndex;
    const startOffset = argOffset;
    const frameEnd = frameStart + maxFrameSize;
    o += FRAME_HEADER_SIZE;
    const flagsAt = o;
    let csumAt: number;
    if (first) {
      csumAt = out ? writePrefix(out, o, msg) : o + firstPrefix - csumSize;
    } else {
      if (out) {
        out[o] = 0;
        out[o + 1] = checksumType;
      }
      csumAt = o + 2;
    }
    o = csumAt + csumSize;
    let more = false;
    // Whether this frame already holds a chunk of the current arg.
    let wroteCurrent = false;
    for (;;) {
      const arg = args[argIndex]!;
      const remaining = arg.length - argOffset;
      const room = frameEnd - o;
      if (remaining === 0 && wroteCurrent && argIndex < 2) {
        // This arg's last bytes are in this frame; the next chunk closes it, if it fits here.
        if (room < 2 || (room === 2 && args[argIndex + 1]!.length > 0)) {
          more = true;
          break;
        }
        argIndex++;
        argOffset = 0;
        wroteCurrent = false;
        continue;
      }
      if (room < 2 || (room === 2 && remaining > 0)) {
        more = true;
        break;
      }
      const n = Math.min(remaining, room - 2);
      if (out) {
        writeChunk(out, o, arg, argOffset, argOffset + n);
        csum = updateChecksum(checksumType, csum, arg.subarray(argOffset, argOffset + n));
      }
      o += 2 + n;
      wroteCurrent = true;
      argOffset += n;
      if (argOffset < arg.length) {
        more = true;
        break;
      }
      if (argIndex === 2) break;
    }
    if (out) {
      writeFrameHeader(out, frameStart, o - frameStart, first ? firstType : continueType, msg.id);
      out[flagsAt] = more ? FLAG_MORE_FRAGMENTS : 0;
      if (csumSize > 0) writeU32(out, csumAt, csum);
    }
    if (!more) return o;
    // A frame that moved nothing forward would be followed by the same frame for ever.
    if (!first && argIndex === startArg && argOffset === startOffset && o - frameStart <= FRAME_HEADER_SIZE + 2 + csumSize + 2) {
      throw new FrameEncodeError("the fragmenter made no progress (a bug or an impossible frame size)");
    }
  }
}

function isByteArray(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array;
}

/** An arg with its 2-byte length (spec §9); an encodable one writes itself after the length. */
function writeArg(buf: Buffer, o: number, arg: OutgoingArg): number {
  if (arg instanceof Uint8Array) return writeChunk(buf, o, arg, 0, arg.length);
  return writeEncodable(arg, buf, writeU16(buf, o, arg.size));
}

function writeChunk(buf: Buffer, o: number, arg: Uint8Array, start: number, end: number): number {
  o = writeU16(buf, o, end - start);
  buf.set(start === 0 && end === arg.length ? arg : arg.subarray(start, end), o);
  return o + end - start;
}
