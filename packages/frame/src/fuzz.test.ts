import { describe, expect, it } from "@jest/globals";
import fc from "fast-check";
import { loadCaptures } from "../test/captures.js";
import { ChecksumType } from "./checksum.js";
import { encodeCallReq } from "./encode-call-message.js";
import { FrameError } from "./errors.js";
import { FrameDecoder } from "./frame-reader.js";
import { FrameType } from "./frame-type.js";
import { MessageAssembler } from "./message-assembler.js";
import { EMPTY_TRACING } from "./tracing.js";

// Mutation fuzzing: valid streams (the golden captures plus generated fragmented calls) with bit
// flips, byte overwrites, cuts and insertions, and pure random bytes, fed through the whole
// receive path in random chunks. Every failure must be one of our typed FrameErrors: no
// RangeError, no TypeError, no hang. Counts are bounded so CI stays fast.

const seeds: Buffer[] = [];
for (const frames of loadCaptures().values()) {
  const small = frames.filter((f) => f.hex.length < 4000);
  if (small.length) seeds.push(Buffer.concat(small.map((f) => Buffer.from(f.hex, "hex"))));
}
seeds.push(
  encodeCallReq(
    {
      id: 9,
      ttl: 10,
      tracing: EMPTY_TRACING,
      service: "s",
      headers: { cn: "c", as: "raw" },
      checksumType: ChecksumType.Crc32C,
      args: [Buffer.from("e"), Buffer.alloc(30, 2), Buffer.alloc(400, 3)],
    },
    120,
  ),
);

/** Runs bytes through decoder + assemblers; returns the errors met (anything else throws). */
function receive(bytes: Uint8Array, chunkSize: number): unknown[] {
  const decoder = new FrameDecoder();
  const requests = new MessageAssembler({ maxArgSize: 1 << 20 });
  const responses = new MessageAssembler({ maxArgSize: 1 << 20 });
  const errors: unknown[] = [];
  const feed = (chunk: Uint8Array) => {
    let frames;
    try {
      frames = decoder.push(chunk);
    } catch (err) {
      errors.push(err);
      return err instanceof FrameError && err.fatal;
    }
    for (const f of frames) {
      try {
        if (f.type === FrameType.CallReq || f.type === FrameType.CallReqContinue) requests.push(f);
        else if (f.type === FrameType.CallRes || f.type === FrameType.CallResContinue) responses.push(f);
      } catch (err) {
        errors.push(err);
      }
    }
    return false;
  };
  for (let o = 0; o < bytes.length; o += chunkSize) if (feed(bytes.subarray(o, o + chunkSize))) return errors;
  // Drain a deferred error, as a connection would on its next read.
  for (let i = 0; i < 4 && !feed(new Uint8Array(0)); i++);
  return errors;
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant("cut" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
);

type Mutation = { kind: string; at: number; bit?: number; value?: number; bytes?: Uint8Array };

function mutate(seed: Buffer, mutations: Mutation[]): Buffer {
  let buf = Buffer.from(seed);
  for (const m of mutations) {
    const at = m.at % Math.max(buf.length, 1);
    if (m.kind === "flip") buf[at] = buf[at]! ^ (1 << m.bit!);
    else if (m.kind === "set") buf[at] = m.value!;
    else if (m.kind === "cut") buf = buf.subarray(0, at);
    else buf = Buffer.concat([buf.subarray(0, at), m.bytes!, buf.subarray(at)]);
  }
  return buf;
}

function expectOnlyFrameErrors(errors: unknown[]): void {
  for (const err of errors) {
    if (!(err instanceof FrameError)) throw err;
    expect(typeof err.code).toBe("string");
  }
}

describe("mutation fuzzing of the receive path", () => {
  it("the unmutated seeds decode without errors", () => {
    for (const seed of seeds) expect(receive(seed, 1000)).toEqual([]);
  });

  it("mutated valid streams fail only with typed FrameErrors", () => {
    let failures = 0;
    fc.assert(
      fc.property(
        fc.constantFrom(...seeds),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 600 }),
        (seed, mutations, chunkSize) => {
          const errors = receive(mutate(seed, mutations), chunkSize);
          failures += errors.length;
          expectOnlyFrameErrors(errors);
        },
      ),
      { numRuns: 5000 },
    );
    // The mutations must actually exercise the error paths.
    expect(failures).toBeGreaterThan(2500);
  });

  it("random bytes fail only with typed FrameErrors", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.integer({ min: 1, max: 500 }), (bytes, chunkSize) => {
        expectOnlyFrameErrors(receive(bytes, chunkSize));
      }),
      { numRuns: 2000 },
    );
  });

  it("random payloads behind a valid header fail only with typed FrameErrors, for every type", () => {
    const types = Object.values(FrameType);
    fc.assert(
      fc.property(fc.constantFrom(...types), fc.uint8Array({ maxLength: 300 }), (type, payload) => {
        const frame = Buffer.alloc(16 + payload.length);
        frame.writeUInt16BE(frame.length, 0);
        frame[2] = type;
        frame.writeUInt32BE(3, 4);
        frame.set(payload, 16);
        expectOnlyFrameErrors(receive(frame, 64));
      }),
      { numRuns: 5000 },
    );
  });
});
