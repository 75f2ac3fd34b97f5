import { TraceFlags } from "@opentelemetry/api";
import { decodeTracing, encodeTracing } from "@tchannel/frame";
import { spanContextFromTracing, tracingFromSpanContext, wireTraceId } from "./wire-ids.js";

describe("tracing field <-> OpenTelemetry ids (Zipkin/Jaeger convention)", () => {
  const span = { traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331", traceFlags: TraceFlags.SAMPLED };

  it("writes span id, parent id, the low 64 bits of the trace id and the sampled flag", () => {
    const t = decodeTracing(tracingFromSpanContext(span, "00f067aa0ba902b7"));
    expect(t.spanId).toBe(0xb7ad6b7169203331n);
    expect(t.parentId).toBe(0x00f067aa0ba902b7n);
    expect(t.traceId).toBe(0x8448eb211c80319cn);
    expect(t.flags).toBe(1);
  });

  it("writes parent 0 for a root and flag 0 when not sampled", () => {
    const t = decodeTracing(tracingFromSpanContext({ ...span, traceFlags: TraceFlags.NONE }, undefined));
    expect(t.parentId).toBe(0n);
    expect(t.flags).toBe(0);
  });

  it("reads a 64-bit trace id as a 128-bit one with the high half zero, and the flag as sampled", () => {
    const bytes = encodeTracing({ spanId: 0x1122334455667788n, parentId: 5n, traceId: 0x8448eb211c80319cn, flags: 1 });
    expect(spanContextFromTracing(bytes)).toEqual({ traceId: "00000000000000008448eb211c80319c", spanId: "1122334455667788", traceFlags: TraceFlags.SAMPLED, isRemote: true });
    expect(wireTraceId(bytes)).toBe("8448eb211c80319c");
    const unsampled = encodeTracing({ spanId: 1n, parentId: 0n, traceId: 2n, flags: 0 });
    expect(spanContextFromTracing(unsampled)?.traceFlags).toBe(TraceFlags.NONE);
  });

  it("round-trips an id pair whose trace id has its high half zero", () => {
    const s = { traceId: "00000000000000008448eb211c80319c", spanId: "b7ad6b7169203331", traceFlags: TraceFlags.SAMPLED };
    const back = spanContextFromTracing(tracingFromSpanContext(s, undefined));
    expect(back).toEqual({ ...s, isRemote: true });
  });

  it("sees no parent in an all-zero field (Java peers, tools) or a zero span id, nor in bytes of the wrong size", () => {
    expect(spanContextFromTracing(new Uint8Array(25))).toBeUndefined();
    expect(spanContextFromTracing(encodeTracing({ spanId: 0n, parentId: 0n, traceId: 7n, flags: 1 }))).toBeUndefined();
    expect(spanContextFromTracing(new Uint8Array(24))).toBeUndefined();
  });

  it("reads a field that is a view into a larger buffer", () => {
    const frame = Buffer.alloc(40);
    Buffer.from(encodeTracing({ spanId: 9n, parentId: 0n, traceId: 10n, flags: 1 })).copy(frame, 7);
    expect(spanContextFromTracing(frame.subarray(7, 32))?.spanId).toBe("0000000000000009");
  });
});
