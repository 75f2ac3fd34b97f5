import { describe, expect, it } from "@jest/globals";
import { childTracing, decodeTracing, encodeTracing, rootTracing } from "./tracing.js";

describe("tracing (spec §11)", () => {
  it("encodes and decodes the 25 bytes", () => {
    const t = { spanId: 0x0123456789abcdefn, parentId: 1n, traceId: 0xfedcba9876543210n, flags: 1 };
    const bytes = encodeTracing(t);
    expect(Buffer.from(bytes).toString("hex")).toBe("0123456789abcdef0000000000000001fedcba987654321001");
    expect(decodeTracing(bytes)).toEqual(t);
  });

  it("starts a root span with traceid = spanid and no parent", () => {
    const t = decodeTracing(rootTracing(true));
    expect(t.traceId).toBe(t.spanId);
    expect(t.spanId).not.toBe(0n);
    expect(t.parentId).toBe(0n);
    expect(t.flags).toBe(1);
    expect(decodeTracing(rootTracing()).flags).toBe(0);
  });

  it("derives a child span: same trace and flags, the parent's span as parent, a new span", () => {
    const parent = rootTracing(true);
    const p = decodeTracing(parent);
    const c = decodeTracing(childTracing(parent));
    expect(c.traceId).toBe(p.traceId);
    expect(c.parentId).toBe(p.spanId);
    expect(c.spanId).not.toBe(p.spanId);
    expect(c.flags).toBe(1);
  });

  it("rejects a field of the wrong size", () => {
    expect(() => decodeTracing(new Uint8Array(24))).toThrow(RangeError);
  });
});
