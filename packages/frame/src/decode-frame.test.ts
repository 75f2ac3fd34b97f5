import { describe, expect, it } from "@jest/globals";
import { catchError } from "../test/catch-error.js";
import { ChecksumType } from "./checksum.js";
import { decodeFrame } from "./decode-frame.js";
import { encodeFrame } from "./encode-frame.js";
import {
  FrameSizeError,
  InvalidHeaderError,
  MalformedFrameError,
  TruncatedFrameError,
  UnknownFrameTypeError,
  UnsupportedChecksumError,
} from "./errors.js";
import { FrameType } from "./frame-type.js";
import type { CallReqFrame } from "./frame.js";
import { EMPTY_TRACING } from "./tracing.js";

function callReq(over: Partial<CallReqFrame> = {}): CallReqFrame {
  return {
    type: FrameType.CallReq,
    id: 5,
    flags: 0,
    ttl: 1000,
    tracing: EMPTY_TRACING,
    service: "svc",
    headers: { cn: "caller", as: "raw" },
    checksumType: ChecksumType.None,
    args: [Buffer.from("echo"), Buffer.from(""), Buffer.from("hi")],
    ...over,
  };
}

/** Rewrites the size field after editing a frame's bytes. */
function resize(buf: Buffer): Buffer {
  buf.writeUInt16BE(buf.length, 0);
  return buf;
}

describe("decodeFrame rejects bad input with typed errors", () => {
  it("a buffer shorter than the header", () => {
    expect(() => decodeFrame(Buffer.alloc(10))).toThrow(FrameSizeError);
  });

  it("a size field that disagrees with the bytes given", () => {
    const buf = encodeFrame({ type: FrameType.PingReq, id: 1 });
    buf.writeUInt16BE(17, 0);
    expect(() => decodeFrame(buf)).toThrow(FrameSizeError);
  });

  it("an unknown frame type, keeping its id", () => {
    const buf = encodeFrame({ type: FrameType.PingReq, id: 9 });
    buf[2] = 0x42;
    const err = catchError(() => decodeFrame(buf));
    expect(err).toBeInstanceOf(UnknownFrameTypeError);
    expect(err).toMatchObject({ type: 0x42, frameId: 9, code: "TCHANNEL_FRAME_UNKNOWN_TYPE" });
  });

  it("a call req cut short at every byte (truncated fields)", () => {
    const whole = encodeFrame(callReq());
    for (let end = 17; end < whole.length; end++) {
      const cut = resize(Buffer.from(whole.subarray(0, end)));
      const err = catchError(() => decodeFrame(cut));
      // Cutting inside arg3 leaves a shorter arg length prefix that overruns; cutting exactly
      // after a whole arg leaves fewer than 3 args in an unfragmented frame.
      expect(err instanceof TruncatedFrameError || err instanceof MalformedFrameError).toBe(true);
      expect((err as { frameId: number }).frameId).toBe(5);
    }
  });

  it("a ttl of 0 (spec §12)", () => {
    const buf = encodeFrame(callReq());
    buf.writeUInt32BE(0, 17);
    expect(catchError(() => decodeFrame(buf))).toMatchObject({ reason: "ttl must be positive, got 0" });
  });

  it("trailing bytes after an error frame's message", () => {
    const buf = encodeFrame({ type: FrameType.Error, id: 2, code: 6, tracing: EMPTY_TRACING, message: "x" });
    expect(() => decodeFrame(resize(Buffer.concat([buf, Buffer.from([0])])))).toThrow(MalformedFrameError);
  });

  it("a ping with a payload", () => {
    const buf = encodeFrame({ type: FrameType.PingReq, id: 2 });
    expect(() => decodeFrame(resize(Buffer.concat([buf, Buffer.from([1, 2])])))).toThrow(MalformedFrameError);
  });

  it("an unknown checksum type", () => {
    const buf = encodeFrame(callReq());
    const csumAt = buf.indexOf(Buffer.from("echo")) - 3;
    expect(buf[csumAt]).toBe(0);
    buf[csumAt] = 7;
    expect(catchError(() => decodeFrame(buf))).toBeInstanceOf(UnsupportedChecksumError);
  });

  it("more than three arg chunks", () => {
    const buf = encodeFrame(callReq());
    expect(() => decodeFrame(resize(Buffer.concat([buf, Buffer.from([0, 0])])))).toThrow("more than 3 arg chunks");
  });

  it("an unfragmented call req with fewer than three args (spec §5)", () => {
    const buf = encodeFrame(callReq({ args: [Buffer.from("echo")] }));
    expect(() => decodeFrame(buf)).toThrow("carries 1 of 3 args");
  });

  it("duplicate, empty and oversized transport header keys, and too many headers (spec §7)", () => {
    const base = encodeFrame(callReq({ headers: { cn: "a", as: "b" } }));
    const dup = Buffer.from(base);
    dup.write("cn", base.indexOf("as"), "latin1");
    expect(catchError(() => decodeFrame(dup))).toMatchObject({ problem: "duplicate", key: "cn" });

    const empty = Buffer.from(base);
    empty[base.indexOf("cn") - 1] = 0;
    const emptyErr = catchError(() => decodeFrame(empty));
    expect(emptyErr).toBeInstanceOf(InvalidHeaderError);
    expect(emptyErr).toMatchObject({ problem: "empty-key" });

    const long = withRawHeaders([["k".repeat(17), "v"]]);
    expect(catchError(() => decodeFrame(long))).toMatchObject({ problem: "key-too-long" });
    // 16 bytes is the spec's limit, so we accept it even though tchannel-node does not.
    expect(decodeFrame(withRawHeaders([["k".repeat(16), "v"]])).type).toBe(FrameType.CallReq);

    const many = withRawHeaders(Array.from({ length: 129 }, (_, i) => [`k${i}`, ""]));
    expect(catchError(() => decodeFrame(many))).toMatchObject({ problem: "too-many" });
  });

  it("a header map whose count promises more pairs than present", () => {
    const buf = encodeFrame({ type: FrameType.InitReq, id: 1, version: 2, headers: { host_port: "0.0.0.0:0" } });
    buf.writeUInt16BE(3, 18);
    expect(catchError(() => decodeFrame(buf))).toBeInstanceOf(TruncatedFrameError);
  });

  it("keeps a __proto__ header as a plain key", () => {
    const frame = decodeFrame(withRawHeaders([["__proto__", "x"], ["cn", "c"]])) as CallReqFrame;
    expect(Object.keys(frame.headers)).toEqual(["__proto__", "cn"]);
    expect(frame.headers["__proto__"]).toBe("x");
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});

/** A call req whose transport headers are written by hand, bypassing the encoder's checks. */
function withRawHeaders(pairs: string[][]): Buffer {
  const parts: Buffer[] = [Buffer.from([pairs.length])];
  for (const [k, v] of pairs) parts.push(Buffer.from([Buffer.byteLength(k!)]), Buffer.from(k!), Buffer.from([Buffer.byteLength(v!)]), Buffer.from(v!));
  const headerBytes = Buffer.concat(parts);
  const body = Buffer.concat([
    Buffer.from([0, 0, 0, 0x03, 0xe8]),
    Buffer.alloc(25),
    Buffer.from([3]),
    Buffer.from("svc"),
    headerBytes,
    Buffer.from([0, 0, 1, 0x61, 0, 0, 0, 0]),
  ]);
  const head = Buffer.alloc(16);
  head.writeUInt16BE(16 + body.length, 0);
  head[2] = FrameType.CallReq;
  head.writeUInt32BE(7, 4);
  return Buffer.concat([head, body]);
}

