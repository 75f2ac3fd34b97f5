import { type FieldDef, type StructDef, type ThriftType, TType, typeId } from "./thrift-type.js";
import { unknownFieldMessage } from "./thrift-classes.js";
import { copyValue } from "./thrift-values.js";

/** A value that does not fit its Thrift type, or bytes that are not a valid encoding. */
export class ThriftCodecError extends Error {
  constructor(readonly path: string, detail: string) {
    super(`${path}: ${detail}`);
    this.name = "ThriftCodecError";
  }
}

/** Nesting allowed in decoded input; thriftrw has none and overflows the stack (known-hazards #2). */
export const MAX_DEPTH = 64;

/**
 * The decode budget: how many values (struct fields and container elements, known or skipped) one
 * message may hold. The smallest encoded value is one byte (an empty struct, a bool), so without a
 * budget a 4 MiB message could become 4 million objects; a real Cadence history page is well under
 * 100k values. A message over the budget fails as a codec error (BadRequest for a request) before
 * its containers are allocated.
 */
export const DEFAULT_MAX_ELEMENTS = 1_000_000;

export interface DecodeOptions {
  /** The decode budget (default DEFAULT_MAX_ELEMENTS). */
  maxElements?: number;
}

// ---- encoding ---------------------------------------------------------------------------------

/**
 * Encoded structs are carved from a shared slab rather than given a buffer each: above 4 KiB
 * Node's pool gives every `Buffer.allocUnsafe` its own ArrayBuffer (external memory the GC tracks,
 * and the mark-compacts it triggers), and a writer that starts small copies its bytes at every
 * growth. Measured for issue 18 (C=32, 4 KiB thrift echo): encoding a request cost 5.3 µs of CPU
 * this way, 0.4 µs from the slab. A slab stays alive while any value cut from it does; an encoded
 * call's args live until the call settles, so briefly. `encodeThrift` copies its result out.
 */
const SLAB_SIZE = 64 * 1024;
/** A value that grows past this leaves the slab for a buffer of its own. */
const MAX_IN_SLAB = 16 * 1024;
/** Less room than this left in the slab: the next value starts a new one. */
const MIN_ROOM = 1024;

let slab: Buffer | undefined;
let slabOffset = 0;

/** The output of one encode: the shared slab from its current offset, growing on demand. */
class Writer {
  buf: Buffer;
  /** Where this value starts in `buf`. */
  start: number;
  pos: number;
  /** `buf` is the shared slab (the slab's offset moves past the value when it is done). */
  inSlab: boolean;
  /** A writer of its own (an encode nested in another, e.g. from a getter): a buffer of its own. */
  constructor(own: boolean) {
    if (own) {
      this.buf = Buffer.allocUnsafe(64);
      this.start = this.pos = 0;
      this.inSlab = false;
      return;
    }
    if (slab === undefined || SLAB_SIZE - slabOffset < MIN_ROOM) {
      slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
      slabOffset = 0;
    }
    this.buf = slab;
    this.start = this.pos = slabOffset;
    this.inSlab = true;
  }
  ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n);
  }
  grow(n: number): void {
    const used = this.pos - this.start;
    const need = used + n;
    let next: Buffer;
    if (this.inSlab && need <= MAX_IN_SLAB) {
      // A fresh slab, this value at its start (the old slab's tail is left unused).
      slab = next = Buffer.allocUnsafeSlow(SLAB_SIZE);
      slabOffset = 0;
    } else {
      // Room for what comes after a large binary or string (the struct's stop bytes, more
      // fields) without copying it all again.
      next = Buffer.allocUnsafeSlow(Math.max(used * 2, need + 256));
      this.inSlab = false;
    }
    this.buf.copy(next, 0, this.start, this.pos);
    this.buf = next;
    this.start = 0;
    this.pos = used;
  }
  /** The encoded value; a slab's offset moves past it (8-byte aligned, as Node's pool). */
  finish(): Buffer {
    const out = this.buf.subarray(this.start, this.pos);
    if (this.inSlab) slabOffset = (this.pos + 7) & ~7;
    return out;
  }
  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }
  i16(v: number): void {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
  }
  i32(v: number): void {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
  }
  i64(v: bigint): void {
    this.ensure(8);
    this.buf.writeBigInt64BE(v, this.pos);
    this.pos += 8;
  }
  double(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
  }
  bytes(b: Uint8Array): void {
    this.i32(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  string(s: string): void {
    // One pass over the string when the room left holds its worst case (3 UTF-8 bytes per UTF-16
    // unit): written after a length placeholder that is then filled in. Otherwise its exact size
    // first (Buffer.byteLength, a second pass), so a 4 KiB value does not leave the slab and a
    // 256 KiB one does not reserve 768 KiB.
    if (this.buf.length - this.pos < 4 + s.length * 3) this.ensure(4 + Buffer.byteLength(s));
    const n = this.buf.write(s, this.pos + 4, "utf8");
    this.buf.writeInt32BE(n, this.pos);
    this.pos += 4 + n;
  }
}

/** An encode is running on the slab: one that starts meanwhile (from a getter) writes elsewhere. */
let encoding = false;

/**
 * Encodes a struct as a bare TBinaryProtocol struct (no message envelope, spec §15.3). Small
 * results are views of a shared slab (see Writer): for bytes sent and dropped, as a call's args;
 * `copyOut` gives a value of its own, for bytes the caller may keep.
 */
export function encodeStruct(def: StructDef, value: unknown, path = def.name, copyOut = false): Buffer {
  if (encoding) {
    const own = new Writer(true);
    writeStruct(own, def, value, path);
    return own.finish();
  }
  encoding = true;
  try {
    const w = new Writer(false);
    writeStruct(w, def, value, path);
    const out = w.finish();
    return copyOut && w.inSlab ? Buffer.from(out) : out;
  } finally {
    encoding = false;
  }
}

function writeStruct(w: Writer, def: StructDef, value: unknown, path: string): void {
  if (value === null || typeof value !== "object") throw new ThriftCodecError(path, `expected a ${def.name} object, got ${describe(value)}`);
  const obj = value as Record<string, unknown>;
  // A plain object may misspell a field ({ kee: "k" }); instances of the generated classes were
  // checked by their constructor.
  if (Object.getPrototypeOf(obj) === Object.prototype) {
    for (const key in obj) if (!def.byName.has(key)) throw new ThriftCodecError(path, unknownFieldMessage(def, key));
  }
  let set = 0;
  for (const field of def.fields) {
    let v = obj[field.name];
    if (v === undefined || v === null) {
      if (field.defaultValue !== undefined && !def.union) v = field.defaultValue;
      else if (field.required) throw new ThriftCodecError(`${path}.${field.name}`, "required field is missing");
      else continue;
    }
    set++;
    w.u8(typeId(field.type));
    w.i16(field.id);
    writeValue(w, field.type, v, `${path}.${field.name}`);
  }
  if (def.union && set !== 1) {
    throw new ThriftCodecError(path, `a union must have exactly one field set, got ${set} (${def.fields.map((f) => f.name).join(", ")})`);
  }
  w.u8(TType.STOP);
}

function writeValue(w: Writer, t: ThriftType, v: unknown, path: string): void {
  switch (t.kind) {
    case "bool":
      if (typeof v !== "boolean") throw new ThriftCodecError(path, `expected a boolean, got ${describe(v)}`);
      w.u8(v ? 1 : 0);
      return;
    case "byte":
      w.u8(int(v, -128, 127, path) & 0xff);
      return;
    case "i16":
      w.i16(int(v, -32768, 32767, path));
      return;
    case "i32":
      w.i32(int(v, -2147483648, 2147483647, path));
      return;
    case "i64": {
      let b: bigint;
      if (typeof v === "bigint") b = v;
      else if (typeof v === "number" && Number.isSafeInteger(v)) b = BigInt(v);
      else throw new ThriftCodecError(path, `expected an i64 (bigint), got ${describe(v)}`);
      if (b < -(2n ** 63n) || b >= 2n ** 63n) throw new ThriftCodecError(path, `${b} is out of the i64 range`);
      w.i64(b);
      return;
    }
    case "double":
      if (typeof v !== "number") throw new ThriftCodecError(path, `expected a number, got ${describe(v)}`);
      w.double(v);
      return;
    case "string":
      if (typeof v !== "string") throw new ThriftCodecError(path, `expected a string, got ${describe(v)}`);
      w.string(v);
      return;
    case "binary":
      if (v instanceof Uint8Array) w.bytes(v);
      else throw new ThriftCodecError(path, `expected binary (a Buffer or Uint8Array), got ${describe(v)}`);
      return;
    case "enum": {
      // A number is a value this IDL may not know (decoded from a newer peer): sent unchanged.
      const n = typeof v === "string" ? t.toValue.get(v) : typeof v === "number" && Number.isInteger(v) && v >= -2147483648 && v <= 2147483647 ? v : undefined;
      if (n === undefined) throw new ThriftCodecError(path, `expected a ${t.name} name (${[...t.toValue.keys()].join(", ")}) or an i32, got ${describe(v)}`);
      w.i32(n);
      return;
    }
    case "struct":
      writeStruct(w, t.def, v, path);
      return;
    case "list":
    case "set": {
      const items = t.kind === "set" && v instanceof Set ? [...v] : v;
      if (!Array.isArray(items)) throw new ThriftCodecError(path, `expected an array${t.kind === "set" ? " or a Set" : ""}, got ${describe(v)}`);
      w.u8(typeId(t.element));
      w.i32(items.length);
      for (let i = 0; i < items.length; i++) writeValue(w, t.element, items[i], `${path}[${i}]`);
      return;
    }
    case "map": {
      const entries = v instanceof Map ? [...v] : v !== null && typeof v === "object" && !Array.isArray(v) ? Object.entries(v) : undefined;
      if (entries === undefined) throw new ThriftCodecError(path, `expected a Map, got ${describe(v)}`);
      w.u8(typeId(t.key));
      w.u8(typeId(t.value));
      w.i32(entries.length);
      for (const [k, val] of entries) {
        writeValue(w, t.key, k, `${path}{key}`);
        writeValue(w, t.value, val, `${path}[${String(k)}]`);
      }
      return;
    }
  }
}

function int(v: unknown, min: number, max: number, path: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw new ThriftCodecError(path, `expected an integer in ${min}..${max}, got ${describe(v)}`);
  }
  return v;
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "object") return v.constructor?.name ?? "object";
  return `${typeof v} ${String(v)}`;
}

// ---- decoding ---------------------------------------------------------------------------------

/** Minimum encoded size of one value of a type id: bounds container counts by the bytes present. */
const MIN_SIZE: Record<number, number> = { 2: 1, 3: 1, 4: 8, 6: 2, 8: 4, 10: 8, 11: 4, 12: 1, 13: 6, 14: 5, 15: 5 };

class Reader {
  pos = 0;
  constructor(
    readonly buf: Buffer,
    /** Values left in the decode budget. */
    public budget: number,
  ) {}
  /** Takes n values from the budget. */
  spend(n: number, path: string): void {
    if ((this.budget -= n) < 0) throw new ThriftCodecError(path, "message holds more values than the decode budget allows");
  }
  need(n: number, path: string): void {
    if (this.buf.length - this.pos < n) throw new ThriftCodecError(path, `truncated: needs ${n} bytes, ${this.buf.length - this.pos} remain`);
  }
  u8(path: string): number {
    this.need(1, path);
    return this.buf[this.pos++]!;
  }
  i16(path: string): number {
    this.need(2, path);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  i32(path: string): number {
    this.need(4, path);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  /** A length or count: negative values are rejected (bufrw lets them through, known-hazards #1). */
  size(path: string, elementSize: number): number {
    const n = this.i32(path);
    if (n < 0) throw new ThriftCodecError(path, `negative length ${n}`);
    if (n * elementSize > this.buf.length - this.pos) throw new ThriftCodecError(path, `length ${n} exceeds the ${this.buf.length - this.pos} bytes remaining`);
    return n;
  }
  bytes(path: string): Buffer {
    const n = this.size(path, 1);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

/** Decodes a bare struct; the whole input must be that struct. */
export function decodeStruct(def: StructDef, bytes: Buffer, path = def.name, options?: DecodeOptions): Record<string, unknown> {
  const r = new Reader(bytes, options?.maxElements ?? DEFAULT_MAX_ELEMENTS);
  const value = readStruct(r, def, path, 0);
  if (r.pos !== bytes.length) throw new ThriftCodecError(path, `${bytes.length - r.pos} trailing bytes after the struct`);
  return value as Record<string, unknown>;
}

function readStruct(r: Reader, def: StructDef, path: string, depth: number): object {
  if (depth > MAX_DEPTH) throw new ThriftCodecError(path, `nested deeper than ${MAX_DEPTH}`);
  // Decoded straight into an instance of the generated class (no defaults applied yet).
  const obj: Record<string, unknown> = def.create !== undefined ? def.create() : {};
  let set = 0;
  let skipped = 0;
  for (;;) {
    const type = r.u8(path);
    if (type === TType.STOP) break;
    const id = r.i16(path);
    r.spend(1, path);
    const field: FieldDef | undefined = def.byId.get(id);
    if (field === undefined || !accepts(field.type, type)) {
      // Unknown fields (a newer IDL) and mistyped ones are skipped, as Thrift readers do.
      skip(r, type, `${path}#${id}`, depth + 1);
      skipped++;
      continue;
    }
    obj[field.name] = readValue(r, field.type, `${path}.${field.name}`, depth + 1);
    set++;
  }
  for (const field of def.fields) {
    if (obj[field.name] !== undefined) continue;
    if (field.required) throw new ThriftCodecError(`${path}.${field.name}`, "required field is missing");
    if (field.defaultValue !== undefined && !def.union) obj[field.name] = field.copyDefault ? copyValue(field.type, field.defaultValue) : field.defaultValue;
  }
  if (def.union && set !== 1) {
    // Only members this IDL does not know (a newer peer's): an empty union the application can
    // detect (no member set), rather than a failed call.
    if (set === 0 && skipped > 0) return obj;
    throw new ThriftCodecError(path, `a union must have exactly one field set, got ${set}`);
  }
  return obj;
}

/** A field or element of type t may arrive with type id `id`: its own, or for a set the list's
 * (old thriftrw-node wrote sets so; thriftrw reads them). */
function accepts(t: ThriftType, id: number): boolean {
  return typeId(t) === id || (id === TType.LIST && t.kind === "set");
}

function readValue(r: Reader, t: ThriftType, path: string, depth: number): unknown {
  switch (t.kind) {
    case "bool":
      return r.u8(path) !== 0;
    case "byte": {
      const b = r.u8(path);
      return b > 127 ? b - 256 : b;
    }
    case "i16":
      return r.i16(path);
    case "i32":
      return r.i32(path);
    case "i64": {
      r.need(8, path);
      const v = r.buf.readBigInt64BE(r.pos);
      r.pos += 8;
      return v;
    }
    case "double": {
      r.need(8, path);
      const v = r.buf.readDoubleBE(r.pos);
      r.pos += 8;
      return v;
    }
    case "string":
      return r.bytes(path).toString("utf8");
    case "binary":
      // A view of the received bytes, as raw args are (ARCHITECTURE.md, "Decoded frames are
      // views"): copying cost a 4 KiB allocation per field on the hot path (issue 7).
      return r.bytes(path);
    case "enum": {
      const n = r.i32(path);
      // A value this IDL does not know (a newer peer's) stays a number, and re-encodes unchanged.
      return t.toName.get(n) ?? n;
    }
    case "struct":
      return readStruct(r, t.def, path, depth);
    case "list":
    case "set": {
      if (depth > MAX_DEPTH) throw new ThriftCodecError(path, `nested deeper than ${MAX_DEPTH}`);
      const etype = r.u8(path);
      const n = r.size(path, MIN_SIZE[etype] ?? 1);
      if (n > 0 && !accepts(t.element, etype)) throw new ThriftCodecError(path, `element type ${etype} does not match ${typeId(t.element)}`);
      r.spend(n, path);
      const out = new Array<unknown>(n);
      for (let i = 0; i < n; i++) out[i] = readValue(r, t.element, `${path}[${i}]`, depth + 1);
      return out;
    }
    case "map": {
      if (depth > MAX_DEPTH) throw new ThriftCodecError(path, `nested deeper than ${MAX_DEPTH}`);
      const ktype = r.u8(path);
      const vtype = r.u8(path);
      const n = r.size(path, (MIN_SIZE[ktype] ?? 1) + (MIN_SIZE[vtype] ?? 1));
      if (n > 0 && (!accepts(t.key, ktype) || !accepts(t.value, vtype))) throw new ThriftCodecError(path, "map key or value type does not match the IDL");
      r.spend(n, path);
      const out = new Map<unknown, unknown>();
      for (let i = 0; i < n; i++) {
        const k = readValue(r, t.key, `${path}{key}`, depth + 1);
        out.set(k, readValue(r, t.value, `${path}[${String(k)}]`, depth + 1));
      }
      return out;
    }
  }
}

/** Skips a value of any type with the same bounds as reading it. */
function skip(r: Reader, type: number, path: string, depth: number): void {
  if (depth > MAX_DEPTH) throw new ThriftCodecError(path, `nested deeper than ${MAX_DEPTH}`);
  switch (type) {
    case TType.BOOL:
    case TType.BYTE:
      r.need(1, path);
      r.pos += 1;
      return;
    case TType.I16:
      r.need(2, path);
      r.pos += 2;
      return;
    case TType.I32:
      r.need(4, path);
      r.pos += 4;
      return;
    case TType.I64:
    case TType.DOUBLE:
      r.need(8, path);
      r.pos += 8;
      return;
    case TType.STRING:
      r.bytes(path);
      return;
    case TType.STRUCT:
      for (;;) {
        const t = r.u8(path);
        if (t === TType.STOP) return;
        r.i16(path);
        r.spend(1, path);
        skip(r, t, path, depth + 1);
      }
    case TType.LIST:
    case TType.SET: {
      const etype = r.u8(path);
      const n = r.size(path, MIN_SIZE[etype] ?? 1);
      r.spend(n, path);
      for (let i = 0; i < n; i++) skip(r, etype, path, depth + 1);
      return;
    }
    case TType.MAP: {
      const ktype = r.u8(path);
      const vtype = r.u8(path);
      const n = r.size(path, (MIN_SIZE[ktype] ?? 1) + (MIN_SIZE[vtype] ?? 1));
      r.spend(n, path);
      for (let i = 0; i < n; i++) {
        skip(r, ktype, path, depth + 1);
        skip(r, vtype, path, depth + 1);
      }
      return;
    }
    default:
      throw new ThriftCodecError(path, `unknown type id ${type}`);
  }
}
