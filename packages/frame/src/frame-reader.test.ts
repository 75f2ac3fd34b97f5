import { describe, expect, it } from "@jest/globals";
import { ChecksumType } from "./checksum.js";
import { encodeCallReq } from "./encode-call-message.js";
import { encodeFrame } from "./encode-frame.js";
import { FrameSizeError, UnknownFrameTypeError } from "./errors.js";
import { FrameDecoder, FrameReader } from "./frame-reader.js";
import { FrameType } from "./frame-type.js";
import type { Frame } from "./frame.js";
import { EMPTY_TRACING } from "./tracing.js";

const stream = Buffer.concat([
  encodeFrame({ type: FrameType.PingReq, id: 1 }),
  encodeCallReq({
    id: 2,
    ttl: 100,
    tracing: EMPTY_TRACING,
    service: "svc",
    headers: { cn: "c", as: "raw" },
    checksumType: ChecksumType.Crc32C,
    args: [Buffer.from("a"), Buffer.from("b"), Buffer.alloc(100_000, 7)],
  }),
  encodeFrame({ type: FrameType.Error, id: 3, code: 1, tracing: EMPTY_TRACING, message: "late" }),
]);

function framesOf(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  new FrameReader().push(bytes, (f) => out.push(Buffer.from(f)));
  return out;
}

describe("FrameReader", () => {
  const expected = framesOf(stream);

  it("splits a stream into frames", () => {
    expect(expected.map((f) => f[2])).toEqual([FrameType.PingReq, FrameType.CallReq, FrameType.CallReqContinue, FrameType.Error]);
    expect(Buffer.concat(expected).equals(stream)).toBe(true);
  });

  it("gives the same frames whatever the chunk boundaries", () => {
    for (const step of [1, 2, 3, 15, 16, 17, 1000, 65535, 65536]) {
      const reader = new FrameReader();
      const got: Buffer[] = [];
      for (let o = 0; o < stream.length; o += step) reader.push(stream.subarray(o, o + step), (f) => got.push(Buffer.from(f)));
      expect(got.map((f) => f.length)).toEqual(expected.map((f) => f.length));
      expect(Buffer.concat(got).equals(stream)).toBe(true);
      expect(reader.buffered).toBe(0);
    }
  });

  it("passes frames inside one chunk without copying", () => {
    const seen: Buffer[] = [];
    new FrameReader().push(stream, (f) => seen.push(f));
    expect(seen[0]!.buffer).toBe(stream.buffer);
  });

  it("reports bytes held for an incomplete frame", () => {
    const reader = new FrameReader();
    reader.push(stream.subarray(0, 1), () => {});
    expect(reader.buffered).toBe(1);
    reader.push(stream.subarray(1, 10), () => {});
    expect(reader.buffered).toBe(10);
  });

  it("rejects a size below the header or above the limit, then stays failed", () => {
    const reader = new FrameReader();
    expect(() => reader.push(Buffer.from([0, 15, 0xd0]), () => {})).toThrow(FrameSizeError);
    expect(() => reader.push(Buffer.from([0, 16]), () => {})).toThrow(FrameSizeError);
    const small = new FrameReader({ maxFrameSize: 100 });
    expect(() => small.push(Buffer.from([0, 101]), () => {})).toThrow("exceeds the limit of 100");
  });

  it("checks a split size field before allocating", () => {
    const reader = new FrameReader({ maxFrameSize: 1000 });
    reader.push(Buffer.from([0xff]), () => {});
    expect(() => reader.push(Buffer.from([0xff]), () => {})).toThrow(FrameSizeError);
  });

  it("keeps the bytes after a frame whose callback throws", () => {
    const reader = new FrameReader();
    const got: number[] = [];
    let thrown = false;
    expect(() =>
      reader.push(stream, (f) => {
        if (!thrown && f[2] === FrameType.CallReq) {
          thrown = true;
          throw new Error("boom");
        }
        got.push(f[2]!);
      }),
    ).toThrow("boom");
    reader.push(Buffer.alloc(0), (f) => got.push(f[2]!));
    expect(got).toEqual([FrameType.PingReq, FrameType.CallReqContinue, FrameType.Error]);
  });
});

describe("FrameDecoder", () => {
  it("decodes frames from arbitrary chunks", () => {
    const decoder = new FrameDecoder();
    const frames: Frame[] = [];
    for (let o = 0; o < stream.length; o += 777) frames.push(...decoder.push(stream.subarray(o, o + 777)));
    expect(frames.map((f) => f.type)).toEqual([FrameType.PingReq, FrameType.CallReq, FrameType.CallReqContinue, FrameType.Error]);
  });

  it("returns the frames before a bad one, throws its error next, then goes on", () => {
    const bad = encodeFrame({ type: FrameType.PingReq, id: 8 });
    bad[2] = 0x42;
    const good = encodeFrame({ type: FrameType.PingRes, id: 9 });
    const decoder = new FrameDecoder();
    const first = decoder.push(Buffer.concat([encodeFrame({ type: FrameType.PingReq, id: 7 }), bad, good]));
    expect(first.map((f) => f.id)).toEqual([7]);
    const tail = encodeFrame({ type: FrameType.PingRes, id: 10 });
    expect(() => decoder.push(tail)).toThrow(UnknownFrameTypeError);
    expect(decoder.push(Buffer.alloc(0)).map((f) => f.id)).toEqual([9, 10]);
  });
});
