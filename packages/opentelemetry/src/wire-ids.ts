import { type SpanContext, TraceFlags } from "@opentelemetry/api";

// The 25-byte tracing field (spec §11: spanid:8 parentid:8 traceid:8 traceflags:1, big-endian)
// against OpenTelemetry's 128-bit trace ids and 64-bit span ids, by the Zipkin/Jaeger convention:
// a 64-bit trace id is the low half of a 128-bit one whose high half is zero. Going out, the wire
// carries the low 64 bits of the trace id (the high bits are lost unless a `$tracing$traceparent`
// header carries them); coming in, a wire trace id becomes 16 zero hex digits + its own 16.
// Flag bit 0x01 is OpenTelemetry's "sampled" flag both ways.

const TRACING_SIZE = 25;
const ZERO_ID = "0000000000000000";
const SAMPLED = 0x01;

/** The tracing bytes for `span`, child of `parentSpanId` (hex, "" for a root). */
export function tracingFromSpanContext(span: SpanContext, parentSpanId: string | undefined): Uint8Array {
  const out = Buffer.allocUnsafe(TRACING_SIZE);
  out.write(span.spanId, 0, 8, "hex");
  if (parentSpanId !== undefined && parentSpanId.length === 16) out.write(parentSpanId, 8, 8, "hex");
  else out.fill(0, 8, 16);
  out.write(span.traceId.slice(-16), 16, 8, "hex");
  out[24] = span.traceFlags & TraceFlags.SAMPLED ? SAMPLED : 0;
  return out;
}

/**
 * The remote span context a received tracing field describes, or undefined when it describes none
 * (a zero trace id: Java peers and tools send all zeros, so tchannel-python ignores them too).
 */
export function spanContextFromTracing(tracing: Uint8Array): SpanContext | undefined {
  if (tracing.length !== TRACING_SIZE) return undefined;
  const b = Buffer.from(tracing.buffer, tracing.byteOffset, TRACING_SIZE);
  const traceId = b.toString("hex", 16, 24);
  const spanId = b.toString("hex", 0, 8);
  if (traceId === ZERO_ID || spanId === ZERO_ID) return undefined;
  return { traceId: ZERO_ID + traceId, spanId, traceFlags: b[24]! & SAMPLED ? TraceFlags.SAMPLED : TraceFlags.NONE, isRemote: true };
}

/** The wire's 64-bit trace id as hex (the low half of a 128-bit one). */
export function wireTraceId(tracing: Uint8Array): string {
  return Buffer.from(tracing.buffer, tracing.byteOffset, TRACING_SIZE).toString("hex", 16, 24);
}
