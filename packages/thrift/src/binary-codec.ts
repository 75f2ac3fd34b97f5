import type { EncodableArg } from "@tchannel/frame";
import { type FieldDef, type StructDef, type ThriftType, TType, typeId } from "./thrift-type.js";
import { unknownFieldMessage } from "./thrift-classes.js";
import { copyValue } from "./thrift-values.js";

/** A value that does not fit its Thrift type, or bytes that are not a valid encoding. */
export class ThriftCodecError extends Error {
  /** Where: `Item.words[1]`, `KeyValue::get result.success`. */
  readonly path: string;
  readonly #detail: string;
  constructor(path: string, detail: string) {
    super(`${path}: ${detail}`);
    this.name = "ThriftCodecError";
    this.path = path;
    this.#detail = detail;
  }
  /**
   * The codec builds a path only for an error: thrown where the problem is, relative to the value
   * being written or read, it gets each enclosing field's or element's name on the way out.
   * @internal
   */
  within(prefix: string): this {
    (this as { path: string }).path = prefix + this.path;
    this.message = `${this.path}: ${this.#detail}`;
    return this;
  }
}

/** `err` with `prefix` before its path when it is a codec error; anything else as it is. */
function within(err: unknown, prefix: string): unknown {
  return err instanceof ThriftCodecError ? err.within(prefix) : err;
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

const NO_BYTES = Buffer.alloc(0);

/**
 * The output of an encode: the shared slab from its current offset, growing on demand. One
 * writer serves every encode on the slab (encodes do not overlap, see `encoding`).
 */
class Writer {
  buf: Buffer = NO_BYTES;
  /** Where this value starts in `buf`. */
  start = 0;
  pos = 0;
  /** `buf` is the shared slab (the slab's offset moves past the value when it is done). */
  inSlab = false;
  /**
   * Writing a sized value into a frame (StructArg.writeInto): the room left is exact, so a string
   * is written without measuring it first; `buf.write` stops at the buffer's end, and a value that
   * grew since it was sized overflows at the next write and is caught there.
   */
  exact = false;
  /** Starts a value on the slab. */
  begin(): this {
    if (slab === undefined || SLAB_SIZE - slabOffset < MIN_ROOM) {
      slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
      slabOffset = 0;
    }
    this.buf = slab;
    this.start = this.pos = slabOffset;
    this.inSlab = true;
    return this;
  }
  /** Starts a value in a small buffer of its own (an encode nested in another, from a getter). */
  beginOwn(): this {
    this.buf = Buffer.allocUnsafe(64);
    this.start = this.pos = 0;
    this.inSlab = false;
    return this;
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
    this.buf = NO_BYTES; // holds no large buffer between encodes
    return out;
  }
  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }
  // Values are checked before they get here; Buffer's writeInt*BE would check them again.
  i16(v: number): void {
    this.ensure(2);
    const b = this.buf;
    b[this.pos] = v >>> 8;
    b[this.pos + 1] = v;
    this.pos += 2;
  }
  i32(v: number): void {
    this.ensure(4);
    const b = this.buf;
    const p = this.pos;
    b[p] = v >>> 24;
    b[p + 1] = v >>> 16;
    b[p + 2] = v >>> 8;
    b[p + 3] = v;
    this.pos = p + 4;
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
    if (!this.exact && this.buf.length - this.pos < 4 + s.length * 3) this.ensure(4 + Buffer.byteLength(s));
    else this.ensure(4);
    const at = this.pos;
    this.pos += 4;
    const n = this.buf.write(s, this.pos, "utf8");
    this.pos = at;
    this.i32(n);
    this.pos += n;
  }
}

/**
 * A Writer that only counts: the sizing pass of a struct written straight into a frame (issue 18).
 * The same writeStruct/writeValue run over it, so it checks the value exactly as an encode does.
 */
class SizeCounter extends Writer {
  override ensure(): void {}
  override u8(): void {
    this.pos += 1;
  }
  override i16(): void {
    this.pos += 2;
  }
  override i32(): void {
    this.pos += 4;
  }
  override i64(): void {
    this.pos += 8;
  }
  override double(): void {
    this.pos += 8;
  }
  override bytes(b: Uint8Array): void {
    this.pos += 4 + b.length;
  }
  override string(s: string): void {
    this.pos += 4 + Buffer.byteLength(s);
  }
}

/** An encode is running on the slab: one that starts meanwhile (from a getter) writes elsewhere. */
let encoding = false;

/** What an encode writes: the struct `value`, or (with `only`) a struct with that field alone. */
type StructWriter = (w: Writer, def: StructDef, value: unknown, only: FieldDef | undefined) => void;

const slabWriter = new Writer();

/**
 * Encodes a struct as a bare TBinaryProtocol struct (no message envelope, spec §15.3). Small
 * results are views of a shared slab (see Writer): for bytes sent and dropped, as a call's args;
 * `copyOut` gives a value of its own, for bytes the caller may keep.
 */
export function encodeStruct(def: StructDef, value: unknown, path = def.name, copyOut = false): Buffer {
  if (encoding) {
    const own = new Writer().beginOwn();
    try {
      writeStruct(own, def, value);
    } catch (err) {
      throw within(err, path);
    }
    return own.finish();
  }
  encoding = true;
  const w = slabWriter.begin();
  try {
    writeStruct(w, def, value);
    const inSlab = w.inSlab;
    const out = w.finish();
    return copyOut && inSlab ? Buffer.from(out) : out;
  } catch (err) {
    w.buf = NO_BYTES;
    throw within(err, path);
  } finally {
    encoding = false;
  }
}

const sizeCounter = new SizeCounter();
const directWriter = new Writer();

/**
 * A struct as an arg that writes itself into the outgoing frame (issue 18: the bytes are written
 * once, where they are sent, instead of into the slab and then copied into the frame). Made by
 * `structArg` / `structFieldArg`, which size (and so check) the value at once: a value that cannot
 * be encoded throws there, before anything is sent. `writeInto` writes the same bytes as
 * `encodeStruct`; a value changed in between so that its size differs fails the frame's encode.
 */
class StructArg implements EncodableArg {
  readonly size: number;
  readonly #write: StructWriter;
  readonly #def: StructDef;
  readonly #value: unknown;
  readonly #only: FieldDef | undefined;
  readonly #path: string;
  constructor(write: StructWriter, def: StructDef, value: unknown, only: FieldDef | undefined, path: string) {
    this.#write = write;
    this.#def = def;
    this.#value = value;
    this.#only = only;
    this.#path = path;
    const nested = encoding;
    const w = nested ? new SizeCounter() : sizeCounter;
    w.buf = NO_BYTES;
    w.start = w.pos = 0;
    encoding = true;
    try {
      write(w, def, value, only);
    } catch (err) {
      throw within(err, path);
    } finally {
      encoding = nested;
    }
    this.size = w.pos;
  }

  writeInto(buf: Buffer, offset: number): number {
    const nested = encoding;
    const w = nested ? new Writer() : directWriter;
    w.buf = buf;
    w.start = w.pos = offset;
    w.inSlab = false;
    w.exact = true;
    encoding = true;
    try {
      this.#write(w, this.#def, this.#value, this.#only);
      // Grown past `buf`: the value changed since it was sized, and its bytes are not in the frame.
      if (w.buf !== buf) throw new ThriftCodecError("", `the value changed after it was sized (${this.size} bytes): it no longer fits`);
      return w.pos;
    } catch (err) {
      throw within(err, this.#path);
    } finally {
      w.buf = NO_BYTES;
      w.exact = false;
      encoding = nested;
    }
  }
}

/** `value` as a struct arg written straight into the frame (see StructArg); throws as `encodeStruct`. */
export function structArg(def: StructDef, value: unknown, path = def.name): EncodableArg {
  return new StructArg(writeStruct, def, value, undefined, path);
}

/** A struct of `def` with `field` alone set to `value` (see writeOnlyField) as an arg written straight into the frame (see StructArg). */
export function structFieldArg(def: StructDef, field: FieldDef | undefined, value: unknown, path = def.name): EncodableArg {
  return new StructArg(writeOnlyField, def, value, field, path);
}

/**
 * Writes a struct of `def` with one field set to `value` and no other (a method's result: its
 * success value or one declared exception), or none when `field` is undefined (a void result):
 * the same bytes as `writeStruct` of `{ [field.name]: value }`, without building that object.
 */
function writeOnlyField(w: Writer, _def: StructDef, value: unknown, field: FieldDef | undefined): void {
  if (field !== undefined && value !== undefined && value !== null) {
    w.u8(typeId(field.type));
    w.i16(field.id);
    try {
      writeValue(w, field.type, value);
    } catch (err) {
      throw within(err, `.${field.name}`);
    }
  }
  w.u8(TType.STOP);
}

function writeStruct(w: Writer, def: StructDef, value: unknown): void {
  if (value === null || typeof value !== "object") throw new ThriftCodecError("", `expected a ${def.name} object, got ${describe(value)}`);
  const obj = value as Record<string, unknown>;
  // A plain object may misspell a field ({ kee: "k" }); instances of the generated classes were
  // checked by their constructor. Not again when writing a value that was sized (so checked): the
  // for-in was a third of a small struct's write.
  if (!w.exact && Object.getPrototypeOf(obj) === Object.prototype) {
    for (const key in obj) if (!def.byName.has(key)) throw new ThriftCodecError("", unknownFieldMessage(def, key));
  }
  let set = 0;
  const fields = def.fields;
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!;
    let v = obj[field.name];
    if (v === undefined || v === null) {
      if (field.defaultValue !== undefined && !def.union) v = field.defaultValue;
      else if (field.required) throw new ThriftCodecError(`.${field.name}`, "required field is missing");
      else continue;
    }
    set++;
    w.u8(typeId(field.type));
    w.i16(field.id);
    try {
      writeValue(w, field.type, v);
    } catch (err) {
      throw within(err, `.${field.name}`);
    }
  }
  if (def.union && set !== 1) {
    throw new ThriftCodecError("", `a union must have exactly one field set, got ${set} (${def.fields.map((f) => f.name).join(", ")})`);
  }
  w.u8(TType.STOP);
}

/** Writes `v` as `t`; a ThriftCodecError's path is relative to `v` (see `within`). */
function writeValue(w: Writer, t: ThriftType, v: unknown): void {
  switch (t.kind) {
    case "bool":
      if (typeof v !== "boolean") throw new ThriftCodecError("", `expected a boolean, got ${describe(v)}`);
      w.u8(v ? 1 : 0);
      return;
    case "byte":
      w.u8(int(v, -128, 127) & 0xff);
      return;
    case "i16":
      w.i16(int(v, -32768, 32767));
      return;
    case "i32":
      w.i32(int(v, -2147483648, 2147483647));
      return;
    case "i64": {
      let b: bigint;
      if (typeof v === "bigint") b = v;
      else if (typeof v === "number" && Number.isSafeInteger(v)) b = BigInt(v);
      else throw new ThriftCodecError("", `expected an i64 (bigint), got ${describe(v)}`);
      if (b < -(2n ** 63n) || b >= 2n ** 63n) throw new ThriftCodecError("", `${b} is out of the i64 range`);
      w.i64(b);
      return;
    }
    case "double":
      if (typeof v !== "number") throw new ThriftCodecError("", `expected a number, got ${describe(v)}`);
      w.double(v);
      return;
    case "string":
      if (typeof v !== "string") throw new ThriftCodecError("", `expected a string, got ${describe(v)}`);
      w.string(v);
      return;
    case "binary":
      if (v instanceof Uint8Array) w.bytes(v);
      else throw new ThriftCodecError("", `expected binary (a Buffer or Uint8Array), got ${describe(v)}`);
      return;
    case "enum": {
      // A number is a value this IDL may not know (decoded from a newer peer): sent unchanged.
      const n = typeof v === "string" ? t.toValue.get(v) : typeof v === "number" && Number.isInteger(v) && v >= -2147483648 && v <= 2147483647 ? v : undefined;
      if (n === undefined) throw new ThriftCodecError("", `expected a ${t.name} name (${[...t.toValue.keys()].join(", ")}) or an i32, got ${describe(v)}`);
      w.i32(n);
      return;
    }
    case "struct":
      writeStruct(w, t.def, v);
      return;
    case "list":
    case "set": {
      const items = t.kind === "set" && v instanceof Set ? [...v] : v;
      if (!Array.isArray(items)) throw new ThriftCodecError("", `expected an array${t.kind === "set" ? " or a Set" : ""}, got ${describe(v)}`);
      w.u8(typeId(t.element));
      w.i32(items.length);
      for (let i = 0; i < items.length; i++) {
        try {
          writeValue(w, t.element, items[i]);
        } catch (err) {
          throw within(err, `[${i}]`);
        }
      }
      return;
    }
    case "map": {
      const entries = v instanceof Map ? [...v] : v !== null && typeof v === "object" && !Array.isArray(v) ? Object.entries(v) : undefined;
      if (entries === undefined) throw new ThriftCodecError("", `expected a Map, got ${describe(v)}`);
      w.u8(typeId(t.key));
      w.u8(typeId(t.value));
      w.i32(entries.length);
      for (const [k, val] of entries) {
        try {
          writeValue(w, t.key, k);
        } catch (err) {
          throw within(err, "{key}");
        }
        try {
          writeValue(w, t.value, val);
        } catch (err) {
          throw within(err, `[${String(k)}]`);
        }
      }
      return;
    }
  }
}

function int(v: unknown, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw new ThriftCodecError("", `expected an integer in ${min}..${max}, got ${describe(v)}`);
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

/** The input of a decode; one serves every decode. */
class Reader {
  buf: Buffer = NO_BYTES;
  pos = 0;
  /** Values left in the decode budget. */
  budget = 0;
  // Errors here have an empty path: the field or element being read adds its name (`within`).
  /** Takes n values from the budget. */
  spend(n: number): void {
    if ((this.budget -= n) < 0) throw new ThriftCodecError("", "message holds more values than the decode budget allows");
  }
  need(n: number): void {
    if (this.buf.length - this.pos < n) throw new ThriftCodecError("", `truncated: needs ${n} bytes, ${this.buf.length - this.pos} remain`);
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }
  i16(): number {
    this.need(2);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 2;
    return ((b[p]! << 24) | (b[p + 1]! << 16)) >> 16;
  }
  i32(): number {
    this.need(4);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 4;
    return (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!;
  }
  /** A length or count: negative values are rejected (bufrw lets them through, known-hazards #1). */
  size(elementSize: number): number {
    const n = this.i32();
    if (n < 0) throw new ThriftCodecError("", `negative length ${n}`);
    if (n * elementSize > this.buf.length - this.pos) throw new ThriftCodecError("", `length ${n} exceeds the ${this.buf.length - this.pos} bytes remaining`);
    return n;
  }
  bytes(): Buffer {
    const n = this.size(1);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  /** A string straight from the bytes (no Buffer view in between). */
  string(): string {
    const n = this.size(1);
    const start = this.pos;
    this.pos += n;
    return this.buf.toString("utf8", start, start + n);
  }
}

/** Decodes a bare struct; the whole input must be that struct. */
const reader = new Reader();

export function decodeStruct(def: StructDef, bytes: Buffer, path = def.name, options?: DecodeOptions): Record<string, unknown> {
  // A decode inside a decode cannot happen (no user code runs), but would get its own reader.
  const r = reader.buf === NO_BYTES ? reader : new Reader();
  r.buf = bytes;
  r.pos = 0;
  r.budget = options?.maxElements ?? DEFAULT_MAX_ELEMENTS;
  let value: object;
  try {
    value = readStruct(r, def, 0);
  } catch (err) {
    throw within(err, path);
  } finally {
    r.buf = NO_BYTES; // holds no message between decodes
  }
  if (r.pos !== bytes.length) throw new ThriftCodecError(path, `${bytes.length - r.pos} trailing bytes after the struct`);
  return value as Record<string, unknown>;
}

function readStruct(r: Reader, def: StructDef, depth: number): object {
  if (depth > MAX_DEPTH) throw new ThriftCodecError("", `nested deeper than ${MAX_DEPTH}`);
  // Decoded straight into an instance of the generated class (no defaults applied yet).
  const obj: Record<string, unknown> = def.create !== undefined ? def.create() : {};
  let set = 0;
  let skipped = 0;
  for (;;) {
    const type = r.u8();
    if (type === TType.STOP) break;
    const id = r.i16();
    r.spend(1);
    const field: FieldDef | undefined = def.byId.get(id);
    if (field === undefined || !accepts(field.type, type)) {
      // Unknown fields (a newer IDL) and mistyped ones are skipped, as Thrift readers do.
      try {
        skip(r, type, depth + 1);
      } catch (err) {
        throw within(err, `#${id}`);
      }
      skipped++;
      continue;
    }
    try {
      obj[field.name] = readValue(r, field.type, depth + 1);
    } catch (err) {
      throw within(err, `.${field.name}`);
    }
    set++;
  }
  const fields = def.fields;
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!;
    if (obj[field.name] !== undefined) continue;
    if (field.required) throw new ThriftCodecError(`.${field.name}`, "required field is missing");
    if (field.defaultValue !== undefined && !def.union) obj[field.name] = field.copyDefault ? copyValue(field.type, field.defaultValue) : field.defaultValue;
  }
  if (def.union && set !== 1) {
    // Only members this IDL does not know (a newer peer's): an empty union the application can
    // detect (no member set), rather than a failed call.
    if (set === 0 && skipped > 0) return obj;
    throw new ThriftCodecError("", `a union must have exactly one field set, got ${set}`);
  }
  return obj;
}

/** A field or element of type t may arrive with type id `id`: its own, or for a set the list's
 * (old thriftrw-node wrote sets so; thriftrw reads them). */
function accepts(t: ThriftType, id: number): boolean {
  return typeId(t) === id || (id === TType.LIST && t.kind === "set");
}

/** Reads a value of `t`; a ThriftCodecError's path is relative to it (see `within`). */
function readValue(r: Reader, t: ThriftType, depth: number): unknown {
  switch (t.kind) {
    case "bool":
      return r.u8() !== 0;
    case "byte": {
      const b = r.u8();
      return b > 127 ? b - 256 : b;
    }
    case "i16":
      return r.i16();
    case "i32":
      return r.i32();
    case "i64": {
      r.need(8);
      const v = r.buf.readBigInt64BE(r.pos);
      r.pos += 8;
      return v;
    }
    case "double": {
      r.need(8);
      const v = r.buf.readDoubleBE(r.pos);
      r.pos += 8;
      return v;
    }
    case "string":
      return r.string();
    case "binary":
      // A view of the received bytes, as raw args are (ARCHITECTURE.md, "Decoded frames are
      // views"): copying cost a 4 KiB allocation per field on the hot path (issue 7).
      return r.bytes();
    case "enum": {
      const n = r.i32();
      // A value this IDL does not know (a newer peer's) stays a number, and re-encodes unchanged.
      return t.toName.get(n) ?? n;
    }
    case "struct":
      return readStruct(r, t.def, depth);
    case "list":
    case "set": {
      if (depth > MAX_DEPTH) throw new ThriftCodecError("", `nested deeper than ${MAX_DEPTH}`);
      const etype = r.u8();
      const n = r.size(MIN_SIZE[etype] ?? 1);
      if (n > 0 && !accepts(t.element, etype)) throw new ThriftCodecError("", `element type ${etype} does not match ${typeId(t.element)}`);
      r.spend(n);
      const out = new Array<unknown>(n);
      for (let i = 0; i < n; i++) {
        try {
          out[i] = readValue(r, t.element, depth + 1);
        } catch (err) {
          throw within(err, `[${i}]`);
        }
      }
      return out;
    }
    case "map": {
      if (depth > MAX_DEPTH) throw new ThriftCodecError("", `nested deeper than ${MAX_DEPTH}`);
      const ktype = r.u8();
      const vtype = r.u8();
      const n = r.size((MIN_SIZE[ktype] ?? 1) + (MIN_SIZE[vtype] ?? 1));
      if (n > 0 && (!accepts(t.key, ktype) || !accepts(t.value, vtype))) throw new ThriftCodecError("", "map key or value type does not match the IDL");
      r.spend(n);
      const out = new Map<unknown, unknown>();
      for (let i = 0; i < n; i++) {
        let k: unknown;
        try {
          k = readValue(r, t.key, depth + 1);
        } catch (err) {
          throw within(err, "{key}");
        }
        try {
          out.set(k, readValue(r, t.value, depth + 1));
        } catch (err) {
          throw within(err, `[${String(k)}]`);
        }
      }
      return out;
    }
  }
}

/** Skips a value of any type with the same bounds as reading it. */
function skip(r: Reader, type: number, depth: number): void {
  if (depth > MAX_DEPTH) throw new ThriftCodecError("", `nested deeper than ${MAX_DEPTH}`);
  switch (type) {
    case TType.BOOL:
    case TType.BYTE:
      r.need(1);
      r.pos += 1;
      return;
    case TType.I16:
      r.need(2);
      r.pos += 2;
      return;
    case TType.I32:
      r.need(4);
      r.pos += 4;
      return;
    case TType.I64:
    case TType.DOUBLE:
      r.need(8);
      r.pos += 8;
      return;
    case TType.STRING: {
      const n = r.size(1);
      r.pos += n;
      return;
    }
    case TType.STRUCT:
      for (;;) {
        const t = r.u8();
        if (t === TType.STOP) return;
        r.i16();
        r.spend(1);
        skip(r, t, depth + 1);
      }
    case TType.LIST:
    case TType.SET: {
      const etype = r.u8();
      const n = r.size(MIN_SIZE[etype] ?? 1);
      r.spend(n);
      for (let i = 0; i < n; i++) skip(r, etype, depth + 1);
      return;
    }
    case TType.MAP: {
      const ktype = r.u8();
      const vtype = r.u8();
      const n = r.size((MIN_SIZE[ktype] ?? 1) + (MIN_SIZE[vtype] ?? 1));
      r.spend(n);
      for (let i = 0; i < n; i++) {
        skip(r, ktype, depth + 1);
        skip(r, vtype, depth + 1);
      }
      return;
    }
    default:
      throw new ThriftCodecError("", `unknown type id ${type}`);
  }
}
