import { describe, expect, it } from "@jest/globals";
import fc from "fast-check";
import { ChecksumType } from "./checksum.js";
import { decodeFrame } from "./decode-frame.js";
import { encodeCallReq, encodeCallRes } from "./encode-call-message.js";
import { encodeFrame } from "./encode-frame.js";
import { FrameReader } from "./frame-reader.js";
import { FrameType } from "./frame-type.js";
import type { ArgsFrame, Frame } from "./frame.js";
import { MessageAssembler } from "./message-assembler.js";

// Property tests: random frames of every type survive encode → decode unchanged, and random
// messages survive fragmentation → reassembly at random frame sizes.

const id = fc.integer({ min: 0, max: 0xffffffff });
const tracing = fc.uint8Array({ minLength: 25, maxLength: 25 });
const text = fc.string({ maxLength: 40 });
const key = fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 15 });
const headers = fc.dictionary(key, fc.string({ maxLength: 30 }), { maxKeys: 8 });
const initHeaders = fc.dictionary(fc.string({ minLength: 1, maxLength: 30 }), fc.string({ maxLength: 60 }), { maxKeys: 8 });
const checksumType = fc.constantFrom(ChecksumType.None, ChecksumType.Crc32, ChecksumType.Crc32C, ChecksumType.Farmhash32);
const chunk = (max: number) => fc.uint8Array({ maxLength: max });
const threeArgs = fc.tuple(chunk(64), chunk(200), chunk(2000));

const frameArb: fc.Arbitrary<Frame> = fc.oneof(
  fc.record({ type: fc.constantFrom(FrameType.InitReq, FrameType.InitRes), id, version: fc.integer({ min: 0, max: 0xffff }), headers: initHeaders }),
  fc.record({
    type: fc.constant(FrameType.CallReq),
    id,
    flags: fc.constant(0),
    ttl: fc.integer({ min: 1, max: 0xffffffff }),
    tracing,
    service: fc.string({ maxLength: 60 }),
    headers,
    checksumType,
    args: threeArgs.map((a) => [...a]),
  }),
  fc.record({
    type: fc.constant(FrameType.CallRes),
    id,
    flags: fc.constant(0),
    code: fc.integer({ min: 0, max: 255 }),
    tracing,
    headers,
    checksumType,
    args: threeArgs.map((a) => [...a]),
  }),
  fc.record({
    type: fc.constantFrom(FrameType.CallReqContinue, FrameType.CallResContinue),
    id,
    flags: fc.constantFrom(0, 1),
    checksumType,
    args: fc.array(chunk(500), { maxLength: 3 }),
  }),
  fc.record({ type: fc.constant(FrameType.Cancel), id, ttl: fc.integer({ min: 0, max: 0xffffffff }), tracing, why: text }),
  fc.record({ type: fc.constant(FrameType.Claim), id, ttl: fc.integer({ min: 0, max: 0xffffffff }), tracing }),
  fc.record({ type: fc.constantFrom(FrameType.PingReq, FrameType.PingRes), id }),
  fc.record({ type: fc.constant(FrameType.Error), id, code: fc.integer({ min: 0, max: 255 }), tracing, message: text }),
) as fc.Arbitrary<Frame>;

/** Plain data for comparison: bytes as hex, header maps as plain objects, no computed checksum. */
function plain(frame: Frame): unknown {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(frame)) {
    if (k === "checksum") continue;
    if (v instanceof Uint8Array) out[k] = Buffer.from(v).toString("hex");
    else if (k === "args") out[k] = (v as Uint8Array[]).map((a) => Buffer.from(a).toString("hex"));
    else if (k === "headers") out[k] = { ...(v as object) };
    else out[k] = v;
  }
  return out;
}

describe("round trips (property tests)", () => {
  it("encodeFrame → decodeFrame returns the frame, for every type", () => {
    fc.assert(
      fc.property(frameArb, (frame) => {
        const bytes = encodeFrame(frame);
        expect(bytes.readUInt16BE(0)).toBe(bytes.length);
        const decoded = decodeFrame(bytes);
        expect(plain(decoded)).toEqual(plain(frame));
        // A decoded frame re-encodes to the same bytes (checksums included).
        expect(encodeFrame(decoded).equals(bytes)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it("call messages survive fragmentation and reassembly at any frame size", () => {
    const messageArb = fc.record({
      id: fc.integer({ min: 0, max: 0xfffffffe }),
      code: fc.integer({ min: 0, max: 1 }),
      ttl: fc.integer({ min: 1, max: 100000 }),
      tracing,
      service: fc.string({ maxLength: 20 }),
      headers,
      checksumType,
      args: fc.tuple(chunk(300), chunk(3000), chunk(20000)),
      maxFrameSize: fc.integer({ min: 700, max: 65535 }),
      response: fc.boolean(),
      chunkSize: fc.integer({ min: 1, max: 70000 }),
    });
    fc.assert(
      fc.property(messageArb, (m) => {
        const bytes = m.response ? encodeCallRes(m, m.maxFrameSize) : encodeCallReq(m, m.maxFrameSize);
        const reader = new FrameReader();
        const assembler = new MessageAssembler();
        let result;
        let count = 0;
        for (let o = 0; o < bytes.length; o += m.chunkSize) {
          reader.push(bytes.subarray(o, o + m.chunkSize), (f) => {
            expect(f.length).toBeLessThanOrEqual(m.maxFrameSize);
            count++;
            const frame = decodeFrame(f) as ArgsFrame;
            const done = assembler.push(frame);
            if (done) result = done;
          });
        }
        expect(result).toBeDefined();
        expect(assembler.pending).toBe(0);
        expect(result!.args.map((a: Buffer) => a.toString("hex"))).toEqual(m.args.map((a) => Buffer.from(a).toString("hex")));
        expect(result!.frame.id).toBe(m.id);
        if (count > 1) expect(m.args[0].length + m.args[1].length + m.args[2].length).toBeGreaterThan(m.maxFrameSize - 400);
      }),
      { numRuns: 500 },
    );
  });
});
