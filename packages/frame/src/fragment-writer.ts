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
import { argBytes } from "./encodable-arg.js";
import type { CallReqMessage, CallResMessage } from "./encode-call-message.js";
import { FrameEncodeError } from "./errors.js";
import { allocFrameBuffer } from "./frame-slab.js";
import { FrameType } from "./frame-type.js";

/** The first frame's fields of a call req or call res, without its args. */
export type CallReqHead = Omit<CallReqMessage, "args">;
export type CallResHead = Omit<CallResMessage, "args">;

/** Chunks up to this size are copied next to their length; larger ones go out as views. */
const INLINE_MAX = 1024;

/**
 * Writes one call message as frames (spec §9) incrementally, for writev: each frame is a few
 * pieces, the frame header, prefix, checksum and chunk lengths in a small buffer and every arg
 * chunk above 1 KiB a view of the caller's bytes, never copied. The checksum runs over each chunk
 * once, as it is framed. `append` adds an arg's bytes (args in order, arg1 whole first); a frame
 * fills up to the frame size and goes out when full, on `flush()` (a streamed body: what the
 * producer gave goes out now, the arg stays open), or on `end()` (the last frame, no "more
 * fragments" flag). The same rules as the whole-message encoder: arg1 whole in the first frame
 * with the start of arg2; an arg left open at a frame boundary is closed by an empty chunk first
 * in the next frame; a non-empty chunk never starts with only its 2-byte length room left.
 */
export class FragmentWriter {
  readonly #id: number;
  readonly #checksumType: ChecksumType;
  readonly #csumSize: number;
  readonly #maxFrameSize: number;
  readonly #continueType: number;
  readonly #firstType: number;
  readonly #head: CallReqHead | CallResHead;
  readonly #firstPrefix: number;
  /** The frame being built: its chunks' arg indexes and bytes. */
  readonly #chunkArgs: number[] = [];
  readonly #chunkData: Uint8Array[] = [];
  /** Bytes of the frame being built so far, header included. */
  #frameSize = 0;
  #first = true;
  /** The arg of the last chunk written; the next chunk continues it unless a later arg's bytes come. */
  #argIndex = 0;
  #csum = 0;
  #ended = false;
  #out: Buffer[] = [];

  private constructor(type: number, continueType: number, head: CallReqHead | CallResHead, firstPrefix: number, maxFrameSize: number) {
    this.#id = head.id;
    this.#checksumType = head.checksumType;
    this.#csumSize = checksumSize(head.checksumType);
    this.#maxFrameSize = maxFrameSize;
    this.#firstType = type;
    this.#continueType = continueType;
    this.#head = head;
    this.#firstPrefix = firstPrefix;
    if (continuePrefixLength(head.checksumType) + 3 + FRAME_HEADER_SIZE > maxFrameSize) throw new FrameEncodeError(`frame size ${maxFrameSize} is too small`);
    this.#frameSize = FRAME_HEADER_SIZE + firstPrefix;
  }

  /** A call request whose first frame carries `arg1` (whole, at most 16 KiB; spec §5). */
  static request(head: CallReqHead, arg1: Uint8Array, maxFrameSize = MAX_FRAME_SIZE): FragmentWriter {
    if (arg1.length > MAX_ARG1_SIZE) throw new FrameEncodeError(`arg1 of ${arg1.length} bytes exceeds ${MAX_ARG1_SIZE}`);
    const prefix = callReqPrefixLength(head.service, head.headers, head.checksumType);
    const w = new FragmentWriter(FrameType.CallReq, FrameType.CallReqContinue, head, prefix, maxFrameSize);
    w.#firstArg(arg1);
    return w;
  }

  /** A call response (its code goes in the first frame; spec §6). */
  static response(head: CallResHead, arg1: Uint8Array, maxFrameSize = MAX_FRAME_SIZE): FragmentWriter {
    const prefix = callResPrefixLength(head.headers, head.checksumType);
    const w = new FragmentWriter(FrameType.CallRes, FrameType.CallResContinue, head, prefix, maxFrameSize);
    w.#firstArg(arg1);
    return w;
  }

  /** Frames completed so far, as pieces for one writev; the writer forgets them. */
  take(): Buffer[] {
    const out = this.#out;
    this.#out = [];
    return out;
  }

  /** Appends bytes of arg `index` (1: arg2, 2: arg3); an earlier arg may no longer be written. */
  append(index: 1 | 2, data: Uint8Array): void {
    if (this.#ended) throw new FrameEncodeError("the message has ended");
    if (index < this.#argIndex) throw new FrameEncodeError(`arg${index + 1} comes after arg${this.#argIndex + 1} has started`);
    let offset = 0;
    do offset += this.#chunk(index, data, offset);
    while (offset < data.length);
  }

  /** Sends what is buffered as a frame with "more fragments" set; the current arg stays open. */
  flush(): void {
    if (this.#ended) return;
    if (this.#chunkArgs.length > 0) this.#emit(true);
  }

  /** Ends the message: args not written are empty; the last frame goes out without the flag. */
  end(): void {
    if (this.#ended) return;
    if (this.#lastChunkArg() !== 2) this.#chunk(2, EMPTY, 0);
    this.#emit(false);
    this.#ended = true;
  }

  get ended(): boolean {
    return this.#ended;
  }

  #firstArg(arg1: Uint8Array): void {
    // arg1 and the start of arg2 must be in the first frame (spec §5, §19.7): room for both.
    if (this.#frameSize + 2 + arg1.length + 2 > this.#maxFrameSize) {
      throw new FrameEncodeError(`arg1 and the start of arg2 do not fit in the first frame of ${this.#maxFrameSize} bytes`);
    }
    this.#push(0, arg1);
  }

  #lastChunkArg(): number {
    const n = this.#chunkArgs.length;
    return n === 0 ? -1 : this.#chunkArgs[n - 1]!;
  }

  /**
   * Writes one chunk of arg `index` from `data[offset..]` into the frame being built, after the
   * empty chunks that close the args before it; returns how many bytes it took.
   */
  #chunk(index: number, data: Uint8Array, offset: number): number {
    for (;;) {
      const last = this.#lastChunkArg();
      // A second chunk of the same arg in one frame would end it: start a new frame.
      if (last === index) {
        this.#emit(true);
        continue;
      }
      // In a fresh frame the first chunk continues the arg left open; a chunk of it here ends it.
      const empties = last === -1 ? index - this.#argIndex : index - this.#argIndex - 1;
      const left = data.length - offset;
      const room = this.#maxFrameSize - this.#frameSize - 2 * empties - 2;
      if (room < 0 || (room === 0 && left > 0)) {
        this.#emit(true);
        continue;
      }
      for (let k = index - empties; k < index; k++) this.#push(k, EMPTY);
      const n = Math.min(left, room);
      this.#push(index, offset === 0 && n === data.length ? data : data.subarray(offset, offset + n));
      return n;
    }
  }

  #push(index: number, data: Uint8Array): void {
    this.#chunkArgs.push(index);
    this.#chunkData.push(data);
    this.#frameSize += 2 + data.length;
    this.#argIndex = index;
  }

  /** Writes the frame being built, as pieces, and starts a continue frame. */
  #emit(more: boolean): void {
    // The first frame must reach arg2 (room for its empty chunk was kept).
    if (this.#first && this.#lastChunkArg() === 0) this.#push(1, EMPTY);
    const args = this.#chunkArgs;
    const data = this.#chunkData;
    const size = this.#frameSize;
    let control = FRAME_HEADER_SIZE + (this.#first ? this.#firstPrefix : continuePrefixLength(this.#checksumType));
    for (let k = 0; k < data.length; k++) control += 2 + (data[k]!.length <= INLINE_MAX ? data[k]!.length : 0);
    const buf = allocFrameBuffer(control);
    writeFrameHeader(buf, 0, size, this.#first ? this.#firstType : this.#continueType, this.#id);
    let csumAt: number;
    if (this.#first) {
      csumAt = this.#firstType === FrameType.CallReq ? writeCallReqPrefix(buf, FRAME_HEADER_SIZE, this.#head as CallReqHead) : writeCallResPrefix(buf, FRAME_HEADER_SIZE, this.#head as CallResHead);
    } else {
      buf[FRAME_HEADER_SIZE + 1] = this.#checksumType;
      csumAt = FRAME_HEADER_SIZE + 2;
    }
    buf[FRAME_HEADER_SIZE] = more ? FLAG_MORE_FRAGMENTS : 0;
    let o = csumAt + this.#csumSize;
    let segmentStart = 0;
    let csum = this.#csum;
    const type = this.#checksumType;
    for (let k = 0; k < data.length; k++) {
      const chunk = data[k]!;
      o = writeU16(buf, o, chunk.length);
      // An empty chunk leaves a CRC as it is, but Farmhash32 is of the frame's last chunk, empty or not (spec §8).
      if (type !== ChecksumType.None && (chunk.length > 0 || type === ChecksumType.Farmhash32)) csum = updateChecksum(type, csum, chunk);
      if (chunk.length <= INLINE_MAX) {
        buf.set(chunk, o);
        o += chunk.length;
      } else {
        this.#out.push(buf.subarray(segmentStart, o));
        this.#out.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        segmentStart = o;
      }
    }
    if (segmentStart < o) this.#out.push(buf.subarray(segmentStart, o));
    if (this.#csumSize > 0) writeU32(buf, csumAt, csum);
    this.#csum = csum;
    args.length = 0;
    data.length = 0;
    this.#first = false;
    this.#frameSize = FRAME_HEADER_SIZE + continuePrefixLength(this.#checksumType);
  }
}

const EMPTY = new Uint8Array(0);

/**
 * A whole call request as frames for writev (see FragmentWriter): the args are not copied.
 * Byte for byte the same frames as `encodeCallReq`. Encodable args are written into buffers of
 * their own first (this path is for messages above 16 KiB, where the copy is the lesser cost).
 */
export function encodeCallReqPieces(msg: CallReqMessage, maxFrameSize = MAX_FRAME_SIZE): Buffer[] {
  const w = FragmentWriter.request(msg, msg.args[0], maxFrameSize);
  w.append(1, argBytes(msg.args[1]));
  w.append(2, argBytes(msg.args[2]));
  w.end();
  return w.take();
}

/** A whole call response as frames for writev, the same frames as `encodeCallRes`. */
export function encodeCallResPieces(msg: CallResMessage, maxFrameSize = MAX_FRAME_SIZE): Buffer[] {
  const w = FragmentWriter.response(msg, msg.args[0], maxFrameSize);
  w.append(1, argBytes(msg.args[1]));
  w.append(2, argBytes(msg.args[2]));
  w.end();
  return w.take();
}
