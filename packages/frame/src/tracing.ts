import { TRACING_SIZE } from "./constants.js";

/**
 * The tracing field of call req/res, cancel, claim and error frames (spec §11):
 * `spanid:8 parentid:8 traceid:8 traceflags:1`. Frames carry it as 25 raw bytes so responses can
 * echo it without decoding; these helpers convert when a caller wants the ids.
 */
export interface Tracing {
  spanId: bigint;
  parentId: bigint;
  traceId: bigint;
  /** Bit 0x01 = sampled. */
  flags: number;
}

/** 25 zero bytes: "no tracing", used when a frame is not tied to a request. */
export const EMPTY_TRACING: Uint8Array = new Uint8Array(TRACING_SIZE);

export function encodeTracing(t: Tracing): Uint8Array {
  const out = Buffer.alloc(TRACING_SIZE);
  out.writeBigUInt64BE(BigInt.asUintN(64, t.spanId), 0);
  out.writeBigUInt64BE(BigInt.asUintN(64, t.parentId), 8);
  out.writeBigUInt64BE(BigInt.asUintN(64, t.traceId), 16);
  out[24] = t.flags & 0xff;
  return out;
}

export function decodeTracing(bytes: Uint8Array): Tracing {
  if (bytes.length !== TRACING_SIZE) throw new RangeError(`tracing must be ${TRACING_SIZE} bytes, got ${bytes.length}`);
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    spanId: b.readBigUInt64BE(0),
    parentId: b.readBigUInt64BE(8),
    traceId: b.readBigUInt64BE(16),
    flags: b[24]!,
  };
}

// Span ids only need to be unique, not unpredictable: Math.random avoids a syscall per call.
function writeRandomId(out: Uint8Array, offset: number): void {
  let hi = (Math.random() * 0x100000000) >>> 0;
  const lo = (Math.random() * 0x100000000) >>> 0;
  if (hi === 0 && lo === 0) hi = 1;
  out[offset] = hi >>> 24;
  out[offset + 1] = hi >>> 16;
  out[offset + 2] = hi >>> 8;
  out[offset + 3] = hi;
  out[offset + 4] = lo >>> 24;
  out[offset + 5] = lo >>> 16;
  out[offset + 6] = lo >>> 8;
  out[offset + 7] = lo;
}

/** A root span: traceid = spanid = a random 64-bit id, parentid = 0 (spec §11). */
export function rootTracing(sampled = false): Uint8Array {
  // A slice of Node's buffer pool: a new Uint8Array would allocate an ArrayBuffer per call.
  const out = Buffer.allocUnsafe(TRACING_SIZE);
  writeRandomId(out, 0);
  for (let i = 8; i < 16; i++) out[i] = 0;
  out.copyWithin(16, 0, 8);
  out[24] = sampled ? 1 : 0;
  return out;
}

/** A child span of `parent`: same traceid and flags, parentid = the parent's spanid, new spanid. */
export function childTracing(parent: Uint8Array): Uint8Array {
  const out = Buffer.allocUnsafe(TRACING_SIZE);
  writeRandomId(out, 0);
  out.set(parent.subarray(0, 8), 8);
  out.set(parent.subarray(16, 25), 16);
  return out;
}
