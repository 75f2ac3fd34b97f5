import { describe, expect, it } from "@jest/globals";
import { loadCaptures } from "../test/captures.js";
import { ChecksumType } from "./checksum.js";
import { decodeFrame } from "./decode-frame.js";
import { encodeCallReq, encodeCallRes } from "./encode-call-message.js";
import { encodeFrame } from "./encode-frame.js";
import { FrameType } from "./frame-type.js";
import type { CallReqFrame, CallResFrame, Frame } from "./frame.js";
import { MessageAssembler } from "./message-assembler.js";
import { decodeTracing } from "./tracing.js";

const captures = loadCaptures();

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

describe("golden frames captured from tchannel-node 4.0.1 (spec §16)", () => {
  it("has every capture", () => {
    expect([...captures.keys()]).toEqual([
      "bad-request-error.json",
      "fragmented-70000-byte-call.json",
      "init-raw-thrift.json",
      "json-app-error.json",
      "json-call.json",
      "ping.json",
      "thrift-void-and-exception.json",
      "timeout-error.json",
    ]);
  });

  for (const [file, frames] of captures) {
    describe(file, () => {
      frames.forEach((captured, index) => {
        it(`frame ${index} (${captured.dir} ${captured.parsed.type}) decodes to the captured fields and re-encodes byte for byte`, () => {
          const bytes = Buffer.from(captured.hex, "hex");
          const frame = decodeFrame(bytes);
          const p = captured.parsed;
          expect(bytes.length).toBe(p.size);
          expect(frame.type).toBe(Number.parseInt(p.type.split(" ")[0]!, 16));
          expect(frame.id).toBe(p.id);
          checkBody(frame, p.body);
          expect(encodeFrame(frame).toString("hex")).toBe(captured.hex);
        });
      });

      it("every call message reassembles with verified checksums", () => {
        const requests = new MessageAssembler();
        const responses = new MessageAssembler();
        let messages = 0;
        for (const captured of frames) {
          const frame = decodeFrame(Buffer.from(captured.hex, "hex"));
          if (frame.type === FrameType.CallReq || frame.type === FrameType.CallReqContinue) {
            if (requests.push(frame)) messages++;
          } else if (frame.type === FrameType.CallRes || frame.type === FrameType.CallResContinue) {
            if (responses.push(frame)) messages++;
          }
        }
        expect(requests.pending + responses.pending).toBe(0);
        expect(messages).toBe(frames.filter((f) => /call re[qs]$/.test(f.parsed.type)).length);
      });
    });
  }

  it("the 70 000-byte call reassembles and re-fragments exactly as tchannel-node did (spec §16.9)", () => {
    const frames = captures.get("fragmented-70000-byte-call.json")!;
    const req = frames.slice(2, 4).map((f) => Buffer.from(f.hex, "hex"));
    const res = frames.slice(4, 6).map((f) => Buffer.from(f.hex, "hex"));
    const arg3 = Buffer.alloc(70000);
    for (let i = 0; i < arg3.length; i++) arg3[i] = i & 0xff;

    const requests = new MessageAssembler();
    expect(requests.push(decodeFrame(req[0]!) as CallReqFrame)).toBeUndefined();
    const msg = requests.push(decodeFrame(req[1]!) as CallReqFrame)!;
    expect(msg.args[0].toString()).toBe("echo");
    expect(msg.args[1].toString()).toBe("h");
    expect(msg.args[2].equals(arg3)).toBe(true);
    const first = msg.frame as CallReqFrame;
    expect(first.checksumType).toBe(ChecksumType.Crc32);
    const again = encodeCallReq({ ...first, args: msg.args });
    expect(again.toString("hex")).toBe(Buffer.concat(req).toString("hex"));

    const responses = new MessageAssembler();
    responses.push(decodeFrame(res[0]!) as CallResFrame);
    const reply = responses.push(decodeFrame(res[1]!) as CallResFrame)!;
    expect(reply.args[0].length).toBe(0);
    expect(reply.args[2].equals(arg3)).toBe(true);
    const replyFrame = reply.frame as CallResFrame;
    expect(encodeCallRes({ ...replyFrame, args: reply.args }).toString("hex")).toBe(Buffer.concat(res).toString("hex"));
  });

  it("the single-frame calls re-encode from whole messages byte for byte", () => {
    for (const [, frames] of captures) {
      for (const captured of frames) {
        const frame = decodeFrame(Buffer.from(captured.hex, "hex"));
        if (frame.type === FrameType.CallReq && frame.flags === 0) {
          const args = frame.args as [Uint8Array, Uint8Array, Uint8Array];
          expect(encodeCallReq({ ...frame, args }).toString("hex")).toBe(captured.hex);
        } else if (frame.type === FrameType.CallRes && frame.flags === 0) {
          const args = frame.args as [Uint8Array, Uint8Array, Uint8Array];
          expect(encodeCallRes({ ...frame, args }).toString("hex")).toBe(captured.hex);
        }
      }
    }
  });
});

function checkBody(frame: Frame, body: Record<string, any>): void {
  if ("tracing" in frame && body.tracing) {
    const t = decodeTracing(frame.tracing);
    expect(t.spanId.toString(16).padStart(16, "0")).toBe(body.tracing.spanid);
    expect(t.parentId.toString(16).padStart(16, "0")).toBe(body.tracing.parentid);
    expect(t.traceId.toString(16).padStart(16, "0")).toBe(body.tracing.traceid);
    expect(t.flags).toBe(body.tracing.traceflags);
  }
  switch (frame.type) {
    case FrameType.InitReq:
    case FrameType.InitRes:
      expect(frame.version).toBe(body.version);
      expect({ ...frame.headers }).toEqual(body.headers);
      break;
    case FrameType.CallReq:
    case FrameType.CallRes:
    case FrameType.CallReqContinue:
    case FrameType.CallResContinue:
      expect(frame.flags).toBe(body.flags);
      if (frame.type === FrameType.CallReq) {
        expect(frame.ttl).toBe(body.ttl);
        expect(frame.service).toBe(body.service);
      }
      if (frame.type === FrameType.CallRes) expect(frame.code).toBe(Number(body.code));
      if (frame.type === FrameType.CallReq || frame.type === FrameType.CallRes) expect({ ...frame.headers }).toEqual(body.headers);
      expect(frame.checksumType).toBe(body.csum.type);
      expect(frame.checksum).toBe(Number(body.csum.value));
      expect(frame.args.map((a) => a.length)).toEqual(body.args.map((a: { len: number }) => a.len));
      expect(frame.args.map(hex)).toEqual(body.args.map((a: { hex: string }) => a.hex));
      break;
    case FrameType.Error:
      expect(frame.code).toBe(Number(body.code));
      expect(frame.message).toBe(body.message);
      break;
    case FrameType.PingReq:
    case FrameType.PingRes:
      expect(body.raw).toBe("");
      break;
    default:
      throw new Error(`no capture of ${frame.type} expected`);
  }
}
