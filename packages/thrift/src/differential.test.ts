// Differential test against thriftrw 3.12.0 (the encoder of tchannel-node): random values of every
// type shape, from a fixed seed, encode to the same bytes with both and decode back equal.
import { describe, expect, it } from "@jest/globals";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Thrift } from "thriftrw";
import { decodeStruct, encodeStruct, structArg } from "./binary-codec.js";
import { loadThriftSync } from "./thrift-module.js";
import type { StructDef, ThriftType } from "./thrift-type.js";
import { prng } from "../test/seeded-random.js";

const fixtures = join(__dirname, "..", "test", "fixtures");
const SEED = 0x13c0ffee;
const ROUNDS = 400;

const CHARS = ["a", "Z", "0", " ", "\u0000", "é", "ß", "Ω", "中", "文", "\u0301", "😀", "𝄞", "\u{10ffff}", "\ufeff", "\n", '"', "\\"];
const I64_EDGES = [-(2n ** 63n), 2n ** 63n - 1n, 0n, -1n, 1n, 2n ** 53n + 1n, -(2n ** 53n) - 1n, 2n ** 32n, -(2n ** 31n)];
/** Enum values the IDL does not declare; thriftrw gets them as members of a widened copy of the enum. */
const UNKNOWN_ENUM_VALUES = [2, 7, -1, 2147483647, -2147483648];
const unknownName = (n: number) => `UNKNOWN_${n < 0 ? `M${-n}` : n}`;
const DOUBLE_EDGES = [0, -0, 1.5, -2.25, Number.MAX_VALUE, Number.MIN_VALUE, Infinity, -Infinity, NaN, 1e-300, 2 ** 53];

class Gen {
  constructor(readonly rand: () => number) {}
  int(n: number): number {
    return Math.floor(this.rand() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  string(): string {
    let s = "";
    for (let i = this.int(12); i > 0; i--) s += this.pick(CHARS);
    return s;
  }
  i64(): bigint {
    if (this.rand() < 0.5) return this.pick(I64_EDGES);
    return BigInt.asIntN(64, (BigInt(this.int(2 ** 32)) << 32n) | BigInt(this.int(2 ** 32)));
  }
  value(t: ThriftType, depth: number): unknown {
    switch (t.kind) {
      case "bool":
        return this.rand() < 0.5;
      case "byte":
        return this.pick([-128, 127, 0, -1]) + (this.rand() < 0.5 ? 0 : 0);
      case "i16":
        return this.pick([-32768, 32767, 0, this.int(65536) - 32768]);
      case "i32":
        return this.pick([-2147483648, 2147483647, 0, this.int(2 ** 32) - 2 ** 31]);
      case "i64":
        return this.i64();
      case "double":
        return this.rand() < 0.5 ? this.pick(DOUBLE_EDGES) : (this.rand() - 0.5) * 1e6;
      case "string":
        return this.string();
      case "binary": {
        const b = Buffer.alloc(this.int(9));
        for (let i = 0; i < b.length; i++) b[i] = this.int(256);
        return b;
      }
      case "enum":
        // Now and then a value a newer peer might send: we keep it as its number.
        return this.rand() < 0.2 ? this.pick(UNKNOWN_ENUM_VALUES) : this.pick([...t.toValue.keys()]);
      case "list":
      case "set": {
        const out: unknown[] = [];
        const seen = new Set<string>();
        for (let i = depth > 2 ? 0 : this.int(4); i > 0; i--) {
          const v = this.value(t.element, depth + 1);
          // Set elements are distinct (thriftrw and we both keep arrays, but a set means it).
          const key = t.kind === "set" ? JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? `${x}n` : x)) : "";
          if (t.kind === "set" && seen.has(key)) continue;
          seen.add(key);
          out.push(v);
        }
        return out;
      }
      case "map": {
        const out = new Map<unknown, unknown>();
        for (let i = depth > 2 ? 0 : this.int(4); i > 0; i--) out.set(this.value(t.key, depth + 1), this.value(t.value, depth + 1));
        return out;
      }
      case "struct":
        return this.struct(t.def, depth + 1);
    }
  }
  struct(def: StructDef, depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (def.union) {
      const f = this.pick(def.fields);
      out[f.name] = this.value(f.type, depth);
      return out;
    }
    for (const f of def.fields) {
      if (!f.required && this.rand() < 0.4) continue;
      if (f.type.kind === "list" && f.type.element.kind === "struct" && f.type.element.def === def && depth > 1) continue;
      out[f.name] = this.value(f.type, depth);
    }
    return out;
  }
}

/** Our value in thriftrw's representation: i64 as 8-byte Buffers, maps as entries. */
function toRw(t: ThriftType, v: unknown): unknown {
  if (v === undefined || v === null) return v;
  switch (t.kind) {
    case "enum":
      return typeof v === "number" ? unknownName(v) : v;
    case "i64": {
      const b = Buffer.alloc(8);
      b.writeBigInt64BE(BigInt(v as bigint));
      return b;
    }
    case "list":
    case "set":
      return (v as unknown[]).map((x) => toRw(t.element, x));
    case "map": {
      const entries = [...(v as Map<unknown, unknown>)].map(([k, x]) => [toRw(t.key, k), toRw(t.value, x)] as const);
      return entries;
    }
    case "struct": {
      const out: Record<string, unknown> = {};
      for (const f of t.def.fields) {
        const x = (v as Record<string, unknown>)[f.name];
        if (x !== undefined && x !== null) out[f.name] = toRw(f.type, x);
      }
      return out;
    }
    default:
      return v;
  }
}

/** A decoded value as plain data: class instances as plain objects, unset fields dropped. */
function plain(t: ThriftType, v: unknown): unknown {
  if (v === undefined || v === null) return undefined;
  switch (t.kind) {
    case "list":
    case "set":
      return (v as unknown[]).map((x) => plain(t.element, x));
    case "map":
      return new Map([...(v as Map<unknown, unknown>)].map(([k, x]) => [plain(t.key, k), plain(t.value, x)]));
    case "struct": {
      const out: Record<string, unknown> = {};
      for (const f of t.def.fields) {
        const x = plain(f.type, (v as Record<string, unknown>)[f.name]);
        if (x !== undefined) out[f.name] = x;
      }
      return out;
    }
    case "binary":
      return Buffer.from(v as Uint8Array);
    default:
      return v;
  }
}

/** What decoding `value` gives: its fields plus the defaults of those left out. */
function withDefaults(t: ThriftType, v: unknown): unknown {
  if (v === undefined || v === null) return undefined;
  switch (t.kind) {
    case "list":
    case "set":
      return (v as unknown[]).map((x) => withDefaults(t.element, x));
    case "map":
      return new Map([...(v as Map<unknown, unknown>)].map(([k, x]) => [withDefaults(t.key, k), withDefaults(t.value, x)]));
    case "struct": {
      const out: Record<string, unknown> = {};
      for (const f of t.def.fields) {
        let x = (v as Record<string, unknown>)[f.name];
        if (x === undefined && !t.def.union) x = f.defaultValue;
        x = withDefaults(f.type, x);
        if (x !== undefined) out[f.name] = x;
      }
      return out;
    }
    default:
      return v;
  }
}

describe("differential: our codec against thriftrw, random values from a fixed seed", () => {
  const file = join(fixtures, "differential.thrift");
  const ours = loadThriftSync(file);
  const def = findDef(ours, "All");
  // thriftrw cannot encode a value its IDL does not declare: it reads the same IDL with the enum
  // widened by those values, which encodes to the same bytes as our numbers.
  const wide = readFileSync(file, "utf8").replace("NEGATIVE = -3 }", `NEGATIVE = -3, ${UNKNOWN_ENUM_VALUES.map((n) => `${unknownName(n)} = ${n}`).join(", ")} }`);
  expect(wide).toContain("UNKNOWN_7 = 7");
  const rw = new Thrift({ source: wide, strict: false });
  const model = rw.getType("All") as unknown as { toBuffer(v: unknown): Buffer; fromBuffer(b: Buffer): unknown };
  const type: ThriftType = { kind: "struct", def: def! };

  it(`encodes ${ROUNDS} random All values to thriftrw's bytes and decodes them back (seed ${SEED.toString(16)})`, () => {
    const gen = new Gen(prng(SEED));
    const shapes = new Set<string>();
    let sawUnknown = false;
    for (let i = 0; i < ROUNDS; i++) {
      const value = gen.struct(def!, 0);
      for (const k of Object.keys(value)) shapes.add(k);
      if (typeof value.color === "number") sawUnknown = true;
      // thriftrw's writer leaves out fields its constructor would default; give it the same fields we write.
      const expected = withDefaults(type, value);
      const bytes = encodeStruct(def!, value);
      const theirs = model.toBuffer(toRw(type, expected));
      if (!bytes.equals(theirs)) throw new Error(`round ${i}: bytes differ\nours   ${bytes.toString("hex")}\ntheirs ${theirs.toString("hex")}`);
      // Written straight into a frame (issue 18): the size first, then the same bytes in place,
      // nothing before or after them touched.
      const arg = structArg(def!, value);
      expect(arg.size).toBe(bytes.length);
      const frame = Buffer.alloc(arg.size + 16, 0xee);
      expect(arg.writeInto(frame, 7)).toBe(7 + arg.size);
      if (!frame.subarray(7, 7 + arg.size).equals(bytes)) throw new Error(`round ${i}: written into a frame, bytes differ`);
      expect(frame.subarray(0, 7).every((b) => b === 0xee) && frame.subarray(7 + arg.size).every((b) => b === 0xee)).toBe(true);
      expect(plain(type, decodeStruct(def!, bytes))).toEqual(expected);
      // And thriftrw reads our bytes as the same value.
      expect(plain(type, decodeStruct(def!, bytes))).toEqual(plain(type, fromRw(type, model.fromBuffer(bytes))));
    }
    // Every field was drawn at least once, and unknown enum values too.
    expect(shapes.size).toBe(def!.fields.length);
    expect(sawUnknown).toBe(true);
  });

  it("matches thriftrw for every i64 extreme and every double edge", () => {
    for (const s64 of I64_EDGES) {
      for (const d of DOUBLE_EDGES) {
        const value = { b: true, s64, d };
        expect(encodeStruct(def!, value).equals(model.toBuffer(toRw(type, withDefaults(type, value))))).toBe(true);
      }
    }
  });
});

function findDef(module: Record<string, unknown>, name: string): StructDef {
  const info = (module as Record<symbol, { structs: Map<string, StructDef> }>)[Symbol.for("tchannel.thrift.module")];
  return info!.structs.get(name)!;
}

/** thriftrw's decoded value in our representation (i64 as bigint, maps as Maps, unknown enum members as numbers). */
function fromRw(t: ThriftType, v: unknown): unknown {
  if (v === null || v === undefined) return undefined;
  switch (t.kind) {
    case "i64":
      return (v as Buffer).readBigInt64BE(0);
    case "list":
    case "set":
      return (v as unknown[]).map((x) => fromRw(t.element, x));
    case "map":
      return new Map((v as [unknown, unknown][]).map(([k, x]) => [fromRw(t.key, k), fromRw(t.value, x)]));
    case "struct": {
      const out: Record<string, unknown> = {};
      for (const f of t.def.fields) {
        const x = fromRw(f.type, (v as Record<string, unknown>)[f.name]);
        if (x !== undefined) out[f.name] = x;
      }
      return out;
    }
    default:
      return normalizeRw(t, v);
  }
}

/** thriftrw's decoded value with only the IDL's fields (no nulls for unset ones, no union `type`). */
function normalizeRw(t: ThriftType, v: unknown): unknown {
  if (v === null || v === undefined) return undefined;
  switch (t.kind) {
    case "enum":
      return typeof v === "string" && v.startsWith("UNKNOWN_") ? Number(v.slice(8).replace(/^M/, "-")) : v;
    case "byte":
      // thriftrw reads a byte as unsigned (255); Thrift's byte is signed (-1), as we decode it.
      return ((v as number) << 24) >> 24;
    case "list":
    case "set":
      return (v as unknown[]).map((x) => normalizeRw(t.element, x));
    case "map":
      return (v as [unknown, unknown][]).map(([k, x]) => [normalizeRw(t.key, k), normalizeRw(t.value, x)]);
    case "struct": {
      const out: Record<string, unknown> = {};
      for (const f of t.def.fields) {
        const x = normalizeRw(f.type, (v as Record<string, unknown>)[f.name]);
        if (x !== undefined) out[f.name] = x;
      }
      return out;
    }
    default:
      return v;
  }
}
