import { FRAME_HEADER_SIZE, MAX_FRAME_SIZE } from "./constants.js";
import { FrameSizeError } from "./errors.js";
import { decodeFrame } from "./decode-frame.js";
import type { Frame } from "./frame.js";

/**
 * From this size on, a frame of a reused chunk is passed on transient rather than copied (see
 * `push`): a copy of its own would cost what Node's fresh buffer per read cost, and the frames of
 * large messages are copied into their message by the assembler anyway.
 */
export const TRANSIENT_FRAME_MIN = 16 * 1024;

export interface FrameReaderOptions {
  /** Largest frame accepted, header included; default and ceiling 65 535 (spec §2). */
  maxFrameSize?: number;
  /**
   * Gather a frame split across chunks into one reused buffer instead of a new one, and pass
   * `transient = true` with it: its bytes are valid only until `onFrame` returns, so the consumer
   * copies what it keeps (the message assembler copies arg bytes once, into the arg). Default false.
   */
  reuseSplitFrames?: boolean;
}

/**
 * Splits a TCP byte stream into whole frames (spec §2) without decoding them. A frame lying inside
 * one chunk is passed on as a zero-copy view; only a frame split across chunks is copied, once,
 * into a buffer of exactly its size, allocated after the size has been checked. A size below 16 or
 * above the limit throws FrameSizeError and poisons the reader: the stream has lost its framing.
 */
export class FrameReader {
  readonly #maxFrameSize: number;
  readonly #reuse: boolean;
  /** The reused buffer for split frames (reuseSplitFrames), allocated on first use. */
  #scratch: Buffer | null = null;
  /** A frame being gathered across chunks, and how many of its bytes are in. */
  #partial: Buffer | null = null;
  #partialFilled = 0;
  /** The first byte of a size field split across chunks (-1: none). */
  #sizeByte = -1;
  #failure: FrameSizeError | null = null;
  /** Bytes after a frame whose callback threw, kept for the next push so none are lost. */
  #backlog: Buffer | null = null;

  constructor(options: FrameReaderOptions = {}) {
    this.#maxFrameSize = Math.min(options.maxFrameSize ?? MAX_FRAME_SIZE, MAX_FRAME_SIZE);
    this.#reuse = options.reuseSplitFrames ?? false;
  }

  /** Bytes held for an incomplete frame. */
  get buffered(): number {
    return this.#partial ? this.#partialFilled : this.#sizeByte >= 0 ? 1 : 0;
  }

  /**
   * Feeds bytes; calls `onFrame` with each whole frame, in order. If `onFrame` throws, the error
   * propagates and the bytes after that frame are kept for the next push.
   *
   * `reusedChunk`: the chunk's bytes are overwritten once this call returns (a socket reading into
   * one buffer of ours, Node's `onread`). A frame of `TRANSIENT_FRAME_MIN` bytes or more is then
   * passed on transient, for the consumer to copy what it keeps (a large message's assembler
   * copies its bytes anyway); at the first smaller frame the rest of the chunk is copied, once,
   * and its frames are views of that copy, as frames of an ordinary chunk are.
   */
  push(chunk: Uint8Array, onFrame: (frame: Buffer, transient: boolean) => void, reusedChunk = false): void {
    if (this.#failure) throw this.#failure;
    let buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.#backlog) {
      buf = Buffer.concat([this.#backlog, buf]);
      this.#backlog = null;
    }
    let o = 0;
    let end = buf.length;
    let reused = reusedChunk;
    if (this.#sizeByte >= 0 && end > 0) {
      const size = (this.#sizeByte << 8) | buf[0]!;
      this.#sizeByte = -1;
      this.#startPartial(size);
      this.#partial![0] = size >>> 8;
      this.#partialFilled = 1;
    }
    if (this.#partial) {
      const partial = this.#partial;
      const n = Math.min(partial.length - this.#partialFilled, end - o);
      buf.copy(partial, this.#partialFilled, o, o + n);
      this.#partialFilled += n;
      o += n;
      if (this.#partialFilled < partial.length) return;
      this.#partial = null;
      this.#partialFilled = 0;
      this.#deliver(partial, buf, o, onFrame, this.#reuse);
    }
    while (end - o >= 2) {
      const size = (buf[o]! << 8) | buf[o + 1]!;
      if (size < FRAME_HEADER_SIZE || size > this.#maxFrameSize) this.#fail(size);
      if (end - o < size) {
        this.#startPartial(size);
        buf.copy(this.#partial!, 0, o, end);
        this.#partialFilled = end - o;
        return;
      }
      if (reused && size < TRANSIENT_FRAME_MIN) {
        // Small frames: one copy of what is left, not one per frame (a busy connection reads
        // dozens of small frames per chunk).
        const rest = Buffer.allocUnsafe(end - o);
        buf.copy(rest, 0, o, end);
        buf = rest;
        o = 0;
        end = rest.length;
        reused = false;
      }
      const frame = buf.subarray(o, o + size);
      o += size;
      this.#deliver(frame, buf, o, onFrame, reused);
    }
    if (o < end) this.#sizeByte = buf[o]!;
  }

  /** Keeps bytes for the next push without reading them now (FrameDecoder's deferred errors). */
  stash(chunk: Uint8Array): void {
    if (this.#failure || chunk.length === 0) return;
    this.#backlog = this.#backlog ? Buffer.concat([this.#backlog, chunk]) : Buffer.from(chunk);
  }

  #deliver(frame: Buffer, buf: Buffer, rest: number, onFrame: (frame: Buffer, transient: boolean) => void, transient: boolean): void {
    try {
      onFrame(frame, transient);
    } catch (err) {
      if (rest < buf.length) this.#backlog = Buffer.from(buf.subarray(rest));
      throw err;
    }
  }

  #startPartial(size: number): void {
    if (size < FRAME_HEADER_SIZE || size > this.#maxFrameSize) this.#fail(size);
    if (this.#reuse) {
      this.#scratch ??= Buffer.allocUnsafeSlow(this.#maxFrameSize);
      this.#partial = this.#scratch.subarray(0, size);
    } else {
      this.#partial = Buffer.allocUnsafe(size);
    }
  }

  #fail(size: number): never {
    this.#failure = new FrameSizeError(size, this.#maxFrameSize);
    throw this.#failure;
  }
}

/**
 * The convenience form: bytes in, decoded frames out, in wire order. When a frame fails to decode,
 * the frames before it are returned first and its FrameError is thrown by the next `push` (which
 * keeps that call's bytes for the one after); a push that meets an error before any frame throws
 * at once. Nothing is skipped silently. After a fatal error (`error.fatal`) every push throws.
 */
export class FrameDecoder {
  readonly #reader: FrameReader;
  #deferred: unknown = null;

  constructor(options: FrameReaderOptions = {}) {
    this.#reader = new FrameReader(options);
  }

  get buffered(): number {
    return this.#reader.buffered;
  }

  push(chunk: Uint8Array): Frame[] {
    if (this.#deferred !== null) {
      const err = this.#deferred;
      this.#deferred = null;
      this.#reader.stash(chunk);
      throw err;
    }
    const frames: Frame[] = [];
    try {
      this.#reader.push(chunk, (bytes) => {
        frames.push(decodeFrame(bytes));
      });
    } catch (err) {
      if (frames.length === 0) throw err;
      this.#deferred = err;
    }
    return frames;
  }
}
