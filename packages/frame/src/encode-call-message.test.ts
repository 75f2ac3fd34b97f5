import { describe, expect, it } from "@jest/globals";
import { ChecksumType } from "./checksum.js";
import { FLAG_MORE_FRAGMENTS, MAX_FRAME_SIZE } from "./constants.js";
import { decodeFrame } from "./decode-frame.js";
import { encodeCallReq, encodeCallRes, type CallReqMessage } from "./encode-call-message.js";
import { FrameEncodeError } from "./errors.js";
import { FrameReader } from "./frame-reader.js";
import { FrameType } from "./frame-type.js";
import type { ArgsFrame } from "./frame.js";
import { MessageAssembler, type AssembledMessage } from "./message-assembler.js";
import { rootTracing } from "./tracing.js";

type BytesReq = CallReqMessage & { args: [Buffer, Buffer, Buffer] };

function message(a1: number, a2: number, a3: number, checksumType: ChecksumType = ChecksumType.Crc32C): BytesReq {
  const fill = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff));
  return {
    id: 42,
    ttl: 500,
    tracing: rootTracing(),
    service: "svc",
    headers: { cn: "caller", as: "raw" },
    checksumType,
    args: [fill(a1, 1), fill(a2, 2), fill(a3, 3)],
  };
}

function split(bytes: Buffer): ArgsFrame[] {
  const frames: ArgsFrame[] = [];
  new FrameReader().push(bytes, (f) => frames.push(decodeFrame(f) as ArgsFrame));
  return frames;
}

function reassemble(frames: ArgsFrame[]): AssembledMessage {
  const assembler = new MessageAssembler();
  let result: AssembledMessage | undefined;
  frames.forEach((f, i) => {
    result = assembler.push(f);
    if (i < frames.length - 1) expect(result).toBeUndefined();
  });
  expect(assembler.pending).toBe(0);
  return result!;
}

describe("encodeCallReq / encodeCallRes fragmentation (spec §9)", () => {
  it("writes a small message as one frame", () => {
    const frames = split(encodeCallReq(message(4, 2, 10)));
    expect(frames).toHaveLength(1);
    expect(frames[0]!.flags).toBe(0);
  });

  it("keeps every frame within the limit and marks all but the last with 'more fragments'", () => {
    const bytes = encodeCallReq(message(10, 100, 300_000));
    const frames = split(bytes);
    expect(frames.length).toBe(5);
    for (const [i, f] of frames.entries()) {
      expect(i === 0 ? f.type : FrameType.CallReqContinue).toBe(f.type);
      expect(f.flags & FLAG_MORE_FRAGMENTS).toBe(i < frames.length - 1 ? 1 : 0);
    }
    let o = 0;
    while (o < bytes.length) {
      const size = bytes.readUInt16BE(o);
      expect(size).toBeLessThanOrEqual(MAX_FRAME_SIZE);
      o += size;
    }
  });

  it("round-trips every split point with tiny frames, all checksum types", () => {
    for (const checksumType of [ChecksumType.None, ChecksumType.Crc32, ChecksumType.Crc32C, ChecksumType.Farmhash32]) {
      for (let a2 = 0; a2 < 6; a2++) {
        for (let a3 = 0; a3 < 40; a3 += 3) {
          const msg = message(3, a2, a3, checksumType);
          for (let maxFrameSize = 81; maxFrameSize <= 95; maxFrameSize++) {
            const frames = split(encodeCallReq(msg, maxFrameSize));
            const got = reassemble(frames);
            expect(got.args.map((a) => a.toString("hex"))).toEqual(msg.args.map((a) => Buffer.from(a as Uint8Array).toString("hex")));
          }
        }
      }
    }
  });

  it("closes an arg that ends exactly at a frame boundary with an empty chunk in the next frame (spec §9 rule 3)", () => {
    // The first frame's room for arg2, measured with an arg2 that overflows it.
    const a2 = split(encodeCallReq(message(3, 1000, 1), 200))[0]!.args[1]!.length;
    const frames = split(encodeCallReq(message(3, a2, 5), 200));
    expect(frames[0]!.args.map((a) => a.length)).toEqual([3, a2]);
    expect(frames[0]!.flags).toBe(1);
    expect(frames[1]!.args.map((a) => a.length)).toEqual([0, 5]);
    expect(reassemble(frames).args[1].length).toBe(a2);
  });

  it("fragments responses with call res continue frames", () => {
    const msg = message(0, 10, 150_000);
    const frames = split(encodeCallRes({ id: 3, code: 0, tracing: msg.tracing, headers: { as: "raw" }, checksumType: ChecksumType.Crc32, args: msg.args }));
    expect(frames.map((f) => f.type)).toEqual([FrameType.CallRes, FrameType.CallResContinue, FrameType.CallResContinue]);
    expect(reassemble(frames).args[2].equals(Buffer.from(msg.args[2]))).toBe(true);
  });

  it("refuses what cannot be sent", () => {
    expect(() => encodeCallReq(message(0x4001, 0, 0))).toThrow("arg1 of 16385 bytes exceeds 16384");
    expect(() => encodeCallReq({ ...message(1, 1, 1), ttl: 0 })).toThrow(FrameEncodeError);
    expect(() => encodeCallReq({ ...message(1, 1, 1), service: "s".repeat(256) })).toThrow("exceeds 255");
    expect(() => encodeCallReq({ ...message(1, 1, 1), headers: { ["k".repeat(16)]: "v" } })).toThrow("at most 15");
    expect(() => encodeCallReq(message(100, 5, 5), 120)).toThrow("do not fit in the first frame");
  });

  it("never loops, whatever it is handed: wrong types fail with FrameEncodeError", () => {
    // Each of these once made a size NaN and the fragmenting loop spin for ever (issue 15).
    const bad: unknown[] = [
      { ...message(1, 1, 70_000), service: 42 },
      { ...message(1, 1, 70_000), service: undefined },
      { ...message(1, 1, 70_000), headers: { cn: 5 } },
      { ...message(1, 1, 70_000), headers: { sk: { a: 1 } } },
      { ...message(1, 1, 1), args: [Buffer.from("e"), 12, Buffer.alloc(1)] },
      { ...message(1, 1, 1), args: [Buffer.from("e"), Buffer.alloc(1), "body"] },
      { ...message(1, 1, 1), args: [Buffer.from("e"), Buffer.alloc(1), { length: 1e9 }] },
    ];
    for (const m of bad) expect(() => encodeCallReq(m as CallReqMessage)).toThrow(FrameEncodeError);
    expect(() => encodeCallReq(message(1, 1, 70_000), Number.NaN)).toThrow(FrameEncodeError);
    expect(() => encodeCallReq(message(1, 1, 70_000), 70_000)).toThrow(FrameEncodeError);
  });
});
