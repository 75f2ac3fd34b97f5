import { describe, expect, it } from "@jest/globals";
import { ChecksumType } from "./checksum.js";
import { encodeCallReq } from "./encode-call-message.js";
import { encodeFrame } from "./encode-frame.js";
import { FrameSizeError, UnknownFrameTypeError } from "./errors.js";
import { FrameDecoder, FrameReader, TRANSIENT_FRAME_MIN } from "./frame-reader.js";
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

/** A frame of exactly `size` bytes: an error frame whose message fills it with `fill`. */
function frameOfSize(id: number, size: number, fill: string): Buffer {
  // header 16, code 1, tracing 25, message length 2
  return encodeFrame({ type: FrameType.Error, id, code: 1, tracing: EMPTY_TRACING, message: fill.repeat(size - 44) });
}

/**
 * Pushes `bytes` as a socket reading into one buffer would (Node's `onread`): each piece is
 * copied into the same scratch buffer, pushed with `reusedChunk`, and the scratch is scribbled
 * over as soon as push returns. The consumer copies transient frames and keeps the others as given.
 */
function pushThroughOneBuffer(bytes: Buffer, cuts: number[]): { frames: Buffer[]; transient: boolean[] } {
  const scratch = Buffer.alloc(65536);
  const reader = new FrameReader({ reuseSplitFrames: true });
  const frames: Buffer[] = [];
  const transient: boolean[] = [];
  let from = 0;
  for (const to of [...cuts, bytes.length]) {
    const n = bytes.copy(scratch, 0, from, to);
    reader.push(scratch.subarray(0, n), (f, t) => {
      frames.push(t ? Buffer.from(f) : f);
      transient.push(t);
    }, true);
    scratch.fill(0xee);
    from = to;
  }
  expect(reader.buffered).toBe(0);
  return { frames, transient };
}

describe("FrameReader with a reused chunk (a socket reading into one buffer)", () => {
  it("copies small frames once per chunk, so they outlive the chunk's bytes", () => {
    const small = [frameOfSize(1, 100, "a"), frameOfSize(2, 60, "b"), frameOfSize(3, 4000, "c")];
    const { frames, transient } = pushThroughOneBuffer(Buffer.concat(small), []);
    expect(transient).toEqual([false, false, false]);
    expect(Buffer.concat(frames).equals(Buffer.concat(small))).toBe(true);
    // One copy for the three: views of one buffer, not one allocation each.
    expect(new Set(frames.map((f) => f.buffer)).size).toBe(1);
  });

  it("passes large frames on transient until a small one, then copies the rest of the chunk", () => {
    const large = frameOfSize(1, TRANSIENT_FRAME_MIN, "L");
    const justBelow = frameOfSize(2, TRANSIENT_FRAME_MIN - 1, "s");
    const laterLarge = frameOfSize(3, 20_000, "M");
    const { frames, transient } = pushThroughOneBuffer(Buffer.concat([large, justBelow, laterLarge]), []);
    expect(transient).toEqual([true, false, false]);
    expect(Buffer.concat(frames).equals(Buffer.concat([large, justBelow, laterLarge]))).toBe(true);
  });

  it("gives the same frames as ordinary chunks, whatever the sizes and cuts", () => {
    // Seeded, so a failure reproduces: frame sizes from 16 B to 64 KiB, cut anywhere.
    let seed = 18;
    const random = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    for (let round = 0; round < 40; round++) {
      const frames: Buffer[] = [];
      for (let i = 0; i < 30; i++) {
        const kind = random(4);
        const size = kind === 0 ? 16 : kind === 1 ? 44 + random(200) : kind === 2 ? 44 + random(30_000) : 44 + random(65_535 - 44);
        frames.push(size === 16 ? encodeFrame({ type: FrameType.PingReq, id: i + 1 }) : frameOfSize(i + 1, size, String.fromCharCode(97 + (i % 26))));
      }
      const bytes = Buffer.concat(frames);
      const cuts: number[] = [];
      for (let o = random(65_536) + 1; o < bytes.length; o += random(65_536) + 1) cuts.push(o);
      const got = pushThroughOneBuffer(bytes, cuts);
      expect(got.frames.map((f) => f.length)).toEqual(frames.map((f) => f.length));
      expect(Buffer.concat(got.frames).equals(bytes)).toBe(true);
    }
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
