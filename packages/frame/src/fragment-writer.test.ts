import { describe, expect, it } from "@jest/globals";
import { ChecksumType } from "./checksum.js";
import { FLAG_MORE_FRAGMENTS } from "./constants.js";
import { decodeFrame } from "./decode-frame.js";
import { encodeCallReq, encodeCallRes, type CallReqMessage, type CallResMessage } from "./encode-call-message.js";
import { FrameEncodeError } from "./errors.js";
import { FragmentWriter, encodeCallReqPieces, encodeCallResPieces } from "./fragment-writer.js";
import { FrameReader } from "./frame-reader.js";
import type { ArgsFrame } from "./frame.js";
import { MessageAssembler, type AssembledMessage } from "./message-assembler.js";
import { rootTracing } from "./tracing.js";

const fill = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff));

function req(a1: number, a2: number, a3: number, checksumType: ChecksumType = ChecksumType.Crc32C): CallReqMessage & { args: [Buffer, Buffer, Buffer] } {
  return { id: 9, ttl: 500, tracing: rootTracing(), service: "svc", headers: { cn: "c" }, checksumType, args: [fill(a1, 1), fill(a2, 2), fill(a3, 3)] };
}

function frames(bytes: Buffer): ArgsFrame[] {
  const out: ArgsFrame[] = [];
  new FrameReader().push(bytes, (f) => out.push(decodeFrame(f) as ArgsFrame));
  return out;
}

function reassemble(bytes: Buffer): AssembledMessage {
  const assembler = new MessageAssembler();
  let result: AssembledMessage | undefined;
  for (const f of frames(bytes)) result = assembler.push(f);
  return result!;
}

describe("encodeCallReqPieces / encodeCallResPieces", () => {
  it("produce exactly the frames of the contiguous encoder, for every size around the frame boundaries", () => {
    // Small frames make every boundary case (an arg ending at a frame's end, 2 bytes of room,
    // empty args) come up many times.
    const sizes = [0, 1, 2, 3, 5, 40, 41, 42, 43, 44, 45, 90, 200, 1100, 3000];
    // Farmhash32 sums only a frame's last chunk, empty or not (as tchannel-node does): the case an
    // encoder that skips empty chunks would get wrong.
    const types = [ChecksumType.None, ChecksumType.Crc32C, ChecksumType.Crc32, ChecksumType.Farmhash32];
    let checked = 0;
    const mismatches: string[] = [];
    for (const maxFrameSize of [100, 128, 1200, 4000]) {
      for (const a1 of [0, 3, 20]) {
        for (const a2 of sizes) {
          for (const a3 of sizes) {
            const msg = req(a1, a2, a3, types[checked % types.length]);
            const whole = encodeCallReq(msg, maxFrameSize);
            if (!Buffer.concat(encodeCallReqPieces(msg, maxFrameSize)).equals(whole)) mismatches.push(`${maxFrameSize}: ${a1}/${a2}/${a3}`);
            checked++;
          }
        }
      }
    }
    const res: CallResMessage = { id: 3, code: 1, tracing: rootTracing(), headers: { as: "raw" }, checksumType: ChecksumType.Crc32C, args: [fill(0, 0), fill(3000, 2), fill(200_000, 3)] };
    expect(Buffer.concat(encodeCallResPieces(res))).toEqual(encodeCallRes(res));
    expect(mismatches).toEqual([]);
    expect(checked).toBeGreaterThan(2000);
  });

  it("passes large arg chunks as views of the caller's bytes, not copies", () => {
    const msg = req(3, 10, 200_000);
    const pieces = encodeCallReqPieces(msg);
    const views = pieces.filter((p) => p.buffer === msg.args[2].buffer);
    expect(views.reduce((n, p) => n + p.length, 0)).toBe(200_000);
  });

  it("rejects arg1 above 16 KiB, and arg1 that leaves no room for the start of arg2", () => {
    expect(() => encodeCallReqPieces(req(16 * 1024 + 1, 0, 0))).toThrow(FrameEncodeError);
    expect(() => encodeCallReqPieces(req(60, 1, 1), 100)).toThrow(/do not fit in the first frame/);
  });
});

describe("FragmentWriter, streamed", () => {
  const head = { id: 5, ttl: 1000, tracing: rootTracing(), service: "svc", headers: { as: "raw" }, checksumType: ChecksumType.Crc32C } as const;

  it("sends each flushed piece as its own frame, arg1 whole in the first, and reassembles with a running checksum", () => {
    const w = FragmentWriter.request(head, Buffer.from("echo"));
    w.flush(); // the call starts before any body byte: arg1 and an empty arg2 chunk
    const firstPieces = w.take();
    const first = frames(Buffer.concat(firstPieces));
    expect(first).toHaveLength(1);
    expect(first[0]!.args.map((a) => a.length)).toEqual([4, 0]);
    expect(first[0]!.flags & FLAG_MORE_FRAGMENTS).toBe(FLAG_MORE_FRAGMENTS);
    w.append(1, Buffer.from("h1"));
    w.flush();
    w.append(2, fill(100_000, 5));
    w.flush();
    w.append(2, Buffer.from("tail"));
    w.flush();
    w.end();
    const bytes = Buffer.concat([...firstPieces, ...w.take()]);
    const fs = frames(bytes);
    // first, h1, two frames for 100 000 bytes, tail, the empty closing chunk
    expect(fs.length).toBe(6);
    expect(fs.slice(0, -1).every((f) => (f.flags & FLAG_MORE_FRAGMENTS) !== 0)).toBe(true);
    expect(fs.at(-1)!.flags).toBe(0);
    const m = reassemble(bytes);
    expect(m.args[0].toString()).toBe("echo");
    expect(m.args[1].toString()).toBe("h1");
    expect(m.args[2]).toEqual(Buffer.concat([fill(100_000, 5), Buffer.from("tail")]));
  });

  it("fills empty args that were never written, and refuses to go back to an earlier arg", () => {
    const w = FragmentWriter.response({ id: 1, code: 0, tracing: rootTracing(), headers: {}, checksumType: ChecksumType.Crc32 }, new Uint8Array(0));
    w.append(2, Buffer.from("body"));
    expect(() => w.append(1, Buffer.from("late"))).toThrow(FrameEncodeError);
    w.end();
    const m = reassemble(Buffer.concat(w.take()));
    expect(m.args.map((a) => a.toString())).toEqual(["", "", "body"]);
    expect(() => w.append(2, Buffer.from("x"))).toThrow(/ended/);
  });
});
