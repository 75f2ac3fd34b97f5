import { describe, expect, it } from "@jest/globals";
import { catchError } from "../test/catch-error.js";
import { ChecksumType } from "./checksum.js";
import { decodeFrame } from "./decode-frame.js";
import { encodeCallReq } from "./encode-call-message.js";
import { encodeFrame } from "./encode-frame.js";
import { ArgTooLargeError, ChecksumMismatchError, FragmentationError } from "./errors.js";
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

