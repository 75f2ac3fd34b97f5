import { TruncatedFrameError } from "./errors.js";
import { readUtf8 } from "./short-string.js";

/**
 * A bounds-checked cursor over one frame's payload. Every read checks the bytes actually present
 * before touching them, so a bad length becomes a TruncatedFrameError, never a RangeError or an
 * allocation sized by the peer.
 */
export class PayloadReader {
  constructor(
    readonly buf: Buffer,
    public offset: number,
    readonly end: number,
    readonly frameId?: number,
    readonly frameType?: number,
  ) {}

  get remaining(): number {
    return this.end - this.offset;
  }

  need(n: number, field: string): void {
    if (this.end - this.offset < n) throw new TruncatedFrameError(field, n, this.end - this.offset, this.frameId, this.frameType);
  }

  u8(field: string): number {
    this.need(1, field);
    return this.buf[this.offset++]!;
  }

  u16(field: string): number {
    this.need(2, field);
    const b = this.buf;
    const o = this.offset;
    this.offset = o + 2;
    return (b[o]! << 8) | b[o + 1]!;
  }

  u32(field: string): number {
    this.need(4, field);
    const b = this.buf;
    const o = this.offset;
    this.offset = o + 4;
    return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
  }

  /** A zero-copy view of the next `n` bytes. */
  bytes(n: number, field: string): Buffer {
    this.need(n, field);
    const o = this.offset;
    this.offset = o + n;
    return this.buf.subarray(o, o + n);
  }

  /** A UTF-8 string of `n` bytes. */
  string(n: number, field: string): string {
    this.need(n, field);
    const o = this.offset;
    this.offset = o + n;
    return readUtf8(this.buf, o, n);
  }
}
