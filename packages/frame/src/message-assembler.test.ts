import { describe, expect, it } from "@jest/globals";
import { catchError } from "../test/catch-error.js";
import { ChecksumType } from "./checksum.js";
import { decodeFrame } from "./decode-frame.js";
import { encodeCallReq } from "./encode-call-message.js";
import { encodeFrame } from "./encode-frame.js";
import { ArgTooLargeError, ChecksumMismatchError, FragmentationError, MessageTooLargeError, PartialMessageLimitError } from "./errors.js";
import { FrameReader } from "./frame-reader.js";
import { FrameType } from "./frame-type.js";
import type { ArgsFrame, CallReqFrame } from "./frame.js";
import { MessageAssembler } from "./message-assembler.js";
import { EMPTY_TRACING } from "./tracing.js";

function frames(arg3Size: number, id = 1, checksumType: ChecksumType = ChecksumType.Crc32C): ArgsFrame[] {
  const out: ArgsFrame[] = [];
  const bytes = encodeCallReq({
    id,
    ttl: 100,
    tracing: EMPTY_TRACING,
    service: "svc",
    headers: { cn: "c", as: "raw" },
    checksumType,
    args: [Buffer.from("ep"), Buffer.from("h"), Buffer.alloc(arg3Size, 1)],
  });
  new FrameReader().push(bytes, (f) => out.push(decodeFrame(Buffer.from(f)) as ArgsFrame));
  return out;
}

describe("MessageAssembler", () => {
  it("returns an unfragmented message at once, without copying its args", () => {
    const [frame] = frames(10);
    const msg = new MessageAssembler().push(frame!)!;
    expect(msg.args[2].buffer).toBe((frame as CallReqFrame).args[2]!.buffer);
  });

  it("interleaves several fragmented messages on one connection", () => {
    const a = frames(140_000, 1);
    const b = frames(70_000, 2);
    const assembler = new MessageAssembler();
    const done: number[] = [];
    for (const f of [a[0], b[0], a[1], b[1], a[2]]) {
      const msg = assembler.push(f!);
      if (msg) done.push(msg.frame.id);
    }
    expect(done).toEqual([2, 1]);
  });

  it("rejects a continue frame with no message in progress (orphan, spec §9)", () => {
    const [, cont] = frames(70_000);
    expect(() => new MessageAssembler().push(cont!)).toThrow(FragmentationError);
  });

  it("rejects a second first frame for an id in progress", () => {
    const [first] = frames(70_000);
    const assembler = new MessageAssembler();
    assembler.push(first!);
    expect(() => assembler.push(first!)).toThrow("already in progress");
    expect(assembler.pending).toBe(0);
  });

  it("rejects a checksum mismatch in any frame, and forgets the message", () => {
    const [first, cont] = frames(70_000);
    const bad = { ...cont!, checksum: (cont!.checksum! ^ 1) >>> 0 };
    const assembler = new MessageAssembler();
    assembler.push(first!);
    const err = catchError(() => assembler.push(bad));
    expect(err).toBeInstanceOf(ChecksumMismatchError);
    expect(err).toMatchObject({ frameId: 1, frameType: FrameType.CallReqContinue });
    expect(assembler.pending).toBe(0);
    const [single] = frames(5);
    expect(() => new MessageAssembler().push({ ...single!, checksum: 1 })).toThrow(ChecksumMismatchError);
  });

  it("can skip checksum verification", () => {
    const [single] = frames(5);
    expect(new MessageAssembler({ verifyChecksums: false }).push({ ...single!, checksum: 1 })).toBeDefined();
  });

  it("rejects a checksum type that changes mid-message", () => {
    const [first, cont] = frames(70_000);
    const assembler = new MessageAssembler({ verifyChecksums: false });
    assembler.push(first!);
    expect(() => assembler.push({ ...cont!, checksumType: ChecksumType.Crc32 })).toThrow("checksum type changed");
  });

  it("rejects a fragmented first frame without all of arg1 (spec §5)", () => {
    const [first] = frames(70_000);
    const arg1Only = { ...first!, args: first!.args.slice(0, 1) };
    expect(() => new MessageAssembler({ verifyChecksums: false }).push(arg1Only)).toThrow("arg1 must be complete");
  });

  it("rejects a message that ends with fewer than three args", () => {
    const [first, cont] = frames(70_000);
    const assembler = new MessageAssembler({ verifyChecksums: false });
    assembler.push({ ...first!, args: first!.args.slice(0, 2) });
    // The open arg2 gets one more chunk, which closes it, and the message ends: no arg3.
    expect(() => assembler.push({ ...cont!, args: [Buffer.alloc(1)] })).toThrow("ended with 2 of 3 args");
  });

  it("rejects more than three args across frames", () => {
    const [first, cont] = frames(70_000);
    const assembler = new MessageAssembler({ verifyChecksums: false });
    assembler.push(first!);
    expect(() => assembler.push({ ...cont!, args: [Buffer.alloc(1), Buffer.alloc(1)] })).toThrow("more than 3 args");
  });

  it("enforces the arg size limit before gathering more", () => {
    const [first, cont] = frames(70_000);
    const assembler = new MessageAssembler({ maxArgSize: 66_000 });
    assembler.push(first!);
    expect(() => assembler.push(cont!)).toThrow(ArgTooLargeError);
    expect(assembler.pending).toBe(0);
    const [single] = frames(5000);
    expect(() => new MessageAssembler({ maxArgSize: 4000 }).push(single!)).toThrow("arg3 of 5000 bytes exceeds the limit of 4000");
  });

  it("rejects an arg1 over 16 KiB in a call req", () => {
    // Built by hand: our encoder refuses to write such a frame.
    const frame = { ...(frames(1)[0] as CallReqFrame), checksumType: ChecksumType.None, args: [Buffer.alloc(0x4001), Buffer.alloc(0), Buffer.alloc(0)] };
    expect(() => new MessageAssembler().push(frame)).toThrow(ArgTooLargeError);
    expect(() => encodeFrame(frame)).toThrow("arg1 of 16385 bytes exceeds 16384");
  });

  it("discards a partial message on request", () => {
    const [first] = frames(70_000);
    const assembler = new MessageAssembler();
    assembler.push(first!);
    expect(assembler.has(1)).toBe(true);
    assembler.discard(1);
    expect(assembler.pending).toBe(0);
  });
});

describe("MessageAssembler over reused buffers (FrameReader reuseSplitFrames)", () => {
  function message(arg2Size: number, arg3Size: number, id: number): { bytes: Buffer; args: Buffer[] } {
    const args = [Buffer.from("ep"), Buffer.alloc(arg2Size, 2), Buffer.from(Array.from({ length: arg3Size }, (_, i) => (i * 31 + id) & 0xff))];
    for (let i = 0; i < arg2Size; i++) args[1]![i] = (i * 13) & 0xff;
    const bytes = encodeCallReq({ id, ttl: 100, tracing: EMPTY_TRACING, service: "svc", headers: { cn: "c" }, checksumType: ChecksumType.Crc32C, args: args as [Buffer, Buffer, Buffer] });
    return { bytes, args };
  }

  it("reassembles messages of every shape fed in odd-sized chunks, keeping nothing that points into the reused buffer", () => {
    for (const [a2, a3, step] of [
      [0, 10, 7],
      [5, 70_000, 1000],
      [70_000, 0, 4096],
      [3, 300_000, 65_536],
      [100_000, 1_000_000, 40_000],
      [10, 40_000, 65_536],
    ] as const) {
      const m = message(a2, a3, 7);
      const reader = new FrameReader({ reuseSplitFrames: true });
      const assembler = new MessageAssembler();
      let got: ReturnType<MessageAssembler["push"]>;
      for (let o = 0; o < m.bytes.length; o += step) {
        reader.push(m.bytes.subarray(o, o + step), (f, transient) => {
          const r = assembler.push(decodeFrame(f) as ArgsFrame, transient);
          if (r) got = r;
        });
      }
      expect(got!).toBeDefined();
      // Feed a junk frame through the same reader's reused buffer, then compare.
      const junk = message(0, 60_000, 9).bytes;
      const r2 = new MessageAssembler();
      for (let o = 0; o < junk.length; o += 1000) reader.push(junk.subarray(o, o + 1000), (f, t) => r2.push(decodeFrame(f) as ArgsFrame, t));
      expect(got!.args.map((a) => a.length)).toEqual([2, a2, a3]);
      expect(got!.args[1].equals(m.args[1]!)).toBe(true);
      expect(got!.args[2].equals(m.args[2]!)).toBe(true);
    }
  });

  it("hands a streamed message's chunks to its sink as they arrive, each arg ending once, in order", () => {
    const m = message(10, 200_000, 3);
    const seen: { index: number; length: number; ends: boolean }[] = [];
    const body: Buffer[] = [];
    const assembler = new MessageAssembler({
      maxArgSize: 1000, // streamed args are not bounded by it
      streamFor: () => ({
        chunk(index, bytes, ends) {
          seen.push({ index, length: bytes.length, ends });
          if (index === 2) body.push(bytes);
        },
      }),
    });
    const reader = new FrameReader({ reuseSplitFrames: true });
    let frames = 0;
    for (let o = 0; o < m.bytes.length; o += 5000) {
      reader.push(m.bytes.subarray(o, o + 5000), (f, t) => {
        frames++;
        expect(assembler.push(decodeFrame(f) as ArgsFrame, t)).toBeUndefined();
      });
    }
    expect(frames).toBeGreaterThan(3);
    expect(assembler.pending).toBe(0);
    expect(seen.filter((s) => s.ends).map((s) => s.index)).toEqual([0, 1, 2]);
    expect(Buffer.concat(body).equals(m.args[2]!)).toBe(true);
  });

  it("fails a streamed message whose checksum breaks mid-way, after handing over the good frames", () => {
    const m = message(0, 200_000, 4);
    const fs: Buffer[] = [];
    new FrameReader().push(m.bytes, (f) => fs.push(Buffer.from(f)));
    fs[2]![fs[2]!.length - 1]! ^= 0xff; // a body byte of the third frame
    let bytes = 0;
    const assembler = new MessageAssembler({ streamFor: () => ({ chunk: (_i, b) => void (bytes += b.length) }) });
    assembler.push(decodeFrame(fs[0]!) as ArgsFrame);
    assembler.push(decodeFrame(fs[1]!) as ArgsFrame);
    const before = bytes;
    expect(() => assembler.push(decodeFrame(fs[2]!) as ArgsFrame)).toThrow(ChecksumMismatchError);
    expect(bytes).toBe(before);
    expect(assembler.pending).toBe(0);
  });
});

describe("MessageAssembler limits", () => {
  describe("bounds on what a peer can make us hold", () => {
    it("stops at the message size limit as soon as it is crossed and swallows the rest of that message", () => {
      const parts = frames(300_000); // five frames
      expect(parts.length).toBe(5);
      const assembler = new MessageAssembler({ maxMessageSize: 100_000 });
      expect(assembler.push(parts[0]!)).toBeUndefined();
      const err = catchError(() => assembler.push(parts[1]!));
      expect(err).toBeInstanceOf(MessageTooLargeError);
      expect(err).toMatchObject({ frameId: 1, limit: 100_000 });
      expect(assembler.pending).toBe(0);
      expect(assembler.pendingBytes).toBe(0);
      // The sender has its answer: its remaining fragments are dropped without another error.
      for (const f of parts.slice(2)) expect(assembler.push(f)).toBeUndefined();
      // ...up to its last one: after it, a stray continue is an error again.
      expect(() => assembler.push(parts[2]!)).toThrow(FragmentationError);
      // And an unfragmented message over the limit fails too.
      expect(() => new MessageAssembler({ maxMessageSize: 1000 }).push(frames(1000)[0]!)).toThrow(MessageTooLargeError);
    });

    it("takes the limit per message from its first frame", () => {
      const seen: string[] = [];
      const assembler = new MessageAssembler({
        maxMessageSize: (first) => {
          seen.push(first.args[0]!.toString());
          return first.id === 1 ? 1_000_000 : 10;
        },
      });
      for (const f of frames(140_000, 1).slice(0, -1)) assembler.push(f);
      expect(() => assembler.push(frames(100, 2)[0]!)).toThrow(MessageTooLargeError);
      expect(assembler.push(frames(140_000, 1).at(-1)!)).toBeDefined();
      expect(seen).toEqual(["ep", "ep"]);
    });

    it("bounds the count of unfinished messages", () => {
      const assembler = new MessageAssembler({ maxPartialMessages: 2 });
      assembler.push(frames(70_000, 1)[0]!);
      assembler.push(frames(70_000, 2)[0]!);
      expect(() => assembler.push(frames(70_000, 3)[0]!)).toThrow(PartialMessageLimitError);
      expect(assembler.pending).toBe(2);
      // Its continuation is swallowed, not answered again.
      expect(assembler.push(frames(70_000, 3)[1]!)).toBeUndefined();
      expect(assembler.push(frames(70_000, 1)[1]!)).toBeDefined();
    });

    it("bounds the bytes unfinished messages hold together, but lets one message alone use its own limit", () => {
      const alone = new MessageAssembler({ maxPartialBytes: 100_000 });
      const big = frames(300_000, 1);
      for (const f of big.slice(0, -1)) expect(alone.push(f)).toBeUndefined();
      expect(alone.push(big.at(-1)!)).toBeDefined();
      expect(alone.pendingBytes).toBe(0);

      const two = new MessageAssembler({ maxPartialBytes: 100_000 });
      two.push(frames(300_000, 1)[0]!); // ~65 KB held
      expect(() => two.push(frames(300_000, 2)[0]!)).toThrow(PartialMessageLimitError);
      expect(two.pending).toBe(1);
      expect(two.pendingBytes).toBeLessThan(100_000);
      expect(two.push(frames(300_000, 2)[1]!)).toBeUndefined(); // swallowed
    });

    it("expires unfinished requests at their TTL and swallows their late fragments", () => {
      const assembler = new MessageAssembler();
      const [first, cont] = frames(70_000, 7); // ttl 100 ms
      const before = performance.now();
      assembler.push(first!);
      expect(assembler.nextDeadline).toBeGreaterThanOrEqual(before + 100);
      expect(assembler.expire(before + 50)).toEqual([]);
      const expired = assembler.expire(performance.now() + 101);
      expect(expired.map((f) => f.id)).toEqual([7]);
      expect(assembler.pending).toBe(0);
      expect(assembler.pendingBytes).toBe(0);
      expect(assembler.nextDeadline).toBe(Number.POSITIVE_INFINITY);
      expect(assembler.push(cont!)).toBeUndefined();
    });

    it("keeps a bounded memory of rejected messages whatever a peer abandons", () => {
      const assembler = new MessageAssembler({ maxMessageSize: 10, maxPartialMessages: 4 });
      for (let id = 1; id <= 100; id++) expect(() => assembler.push(frames(70_000, id)[0]!)).toThrow(MessageTooLargeError);
      // Only the last four are remembered; older ids' continuations are errors again.
      expect(assembler.push(frames(70_000, 100)[1]!)).toBeUndefined();
      expect(() => assembler.push(frames(70_000, 1)[1]!)).toThrow(FragmentationError);
    });
  });
});
