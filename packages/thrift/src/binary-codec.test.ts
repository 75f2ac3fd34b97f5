// The encoder's shared slab (binary-codec.ts, Writer): encoded values are views of one buffer, so
// a later encode must never write over an earlier value, whatever sizes come in whatever order.
import { describe, expect, it } from "@jest/globals";
import { Thrift } from "thriftrw";
import { decodeStruct, encodeStruct, structFieldArg } from "./binary-codec.js";
import { encodeThrift } from "./struct-codec.js";
import { structDefOf } from "./thrift-classes.js";
import { loadThriftSource } from "./thrift-module.js";
import type { FieldDef, StructDef } from "./thrift-type.js";
import { prng } from "../test/seeded-random.js";

const IDL = `
struct Item {
  1: required i32 n
  2: optional binary data
  3: optional string text
  4: optional list<string> words
}
`;
const mod = loadThriftSource(IDL);
const def: StructDef = structDefOf(mod.Item)!;
const rw = new Thrift({ source: IDL, strict: false }).getType("Item") as unknown as { toBuffer(v: unknown): Buffer };
const theirs = (v: { n: number; data?: Buffer; text?: string; words?: string[] }) => rw.toBuffer({ n: v.n, data: v.data ?? null, text: v.text ?? null, words: v.words ?? null });

describe("encodeStruct's slab", () => {
  it("never overwrites an earlier value: 3,000 values of 0 B to 40 KiB, kept, all still equal thriftrw's bytes", () => {
    const rand = prng(0x5eed18);
    const values: { n: number; data?: Buffer; text?: string; words?: string[] }[] = [];
    const encoded: Buffer[] = [];
    for (let n = 0; n < 3000; n++) {
      // Mostly small, some around the slab's room and the 16 KiB cut, a few large.
      const size = rand() < 0.8 ? Math.floor(rand() * 300) : rand() < 0.8 ? Math.floor(rand() * 20_000) : Math.floor(rand() * 40_000);
      const v: { n: number; data?: Buffer; text?: string; words?: string[] } = { n };
      const shape = n % 3;
      if (shape === 0) v.data = Buffer.alloc(size, n & 0xff);
      // Multi-byte text: its worst case (3 bytes a unit) rarely fits the room left.
      else if (shape === 1) v.text = "é中a😀".repeat(Math.ceil(size / 5)).slice(0, size);
      else v.words = Array.from({ length: size % 50 }, (_, i) => `w${i}`.repeat(1 + (size % 7)));
      values.push(v);
      encoded.push(encodeStruct(def, v));
    }
    for (let n = 0; n < values.length; n++) {
      expect(encoded[n]!.equals(theirs(values[n]!))).toBe(true);
      expect((decodeStruct(def, encoded[n]!) as { n: number }).n).toBe(n);
    }
  });

  it("an encode started from a getter during another encode gets bytes of its own", () => {
    let inner: Buffer | undefined;
    const outer = {
      n: 1,
      get text() {
        inner = encodeStruct(def, { n: 2, data: Buffer.alloc(3000, 7) });
        return "outer";
      },
    };
    const bytes = encodeStruct(def, outer);
    const after = encodeStruct(def, { n: 3, data: Buffer.alloc(5000, 9) });
    expect(bytes.equals(theirs({ n: 1, text: "outer" }))).toBe(true);
    expect(inner!.equals(theirs({ n: 2, data: Buffer.alloc(3000, 7) }))).toBe(true);
    expect(after.equals(theirs({ n: 3, data: Buffer.alloc(5000, 9) }))).toBe(true);
  });

  it("a failed encode leaves earlier values intact and the next one correct", () => {
    const before = encodeStruct(def, { n: 1, data: Buffer.alloc(100, 1) });
    expect(() => encodeStruct(def, { n: 2, data: Buffer.alloc(9000, 2), words: ["ok", 5] })).toThrow(/Item\.words\[1\]: expected a string, got number 5/);
    const next = encodeStruct(def, { n: 3, text: "x".repeat(2000) });
    expect(before.equals(theirs({ n: 1, data: Buffer.alloc(100, 1) }))).toBe(true);
    expect(next.equals(theirs({ n: 3, text: "x".repeat(2000) }))).toBe(true);
  });

  it("encodeThrift hands out bytes of its own, not a view that keeps the encoder's slab alive", () => {
    const small = encodeThrift(mod.Item, { n: 1, text: "hello" });
    expect(small.equals(theirs({ n: 1, text: "hello" }))).toBe(true);
    // Not the slab's memory: encodeStruct without copyOut hands out a view of it. (Not a size
    // test: Node 24's Buffer pool is 64 KiB, so a pooled copy's ArrayBuffer is that large too.)
    const view = encodeStruct(def, { n: 2, text: "view" });
    expect(small.buffer).not.toBe(view.buffer);
    const large = encodeThrift(mod.Item, { n: 1, data: Buffer.alloc(100_000, 3) });
    expect(large.equals(theirs({ n: 1, data: Buffer.alloc(100_000, 3) }))).toBe(true);
  });
});

// Paths are built only when something fails (each level names itself on the way out): the same
// messages as when every level built its path up front.
describe("codec error paths", () => {
  const paths = loadThriftSource(`
struct Inner {
  1: required i32 a
  2: optional list<string> xs
}
struct Outer {
  1: required Inner inner
  2: optional map<string, Inner> byName
  3: optional map<i32, string> byId
  4: optional list<Inner> items
  5: optional set<i64> ids
}
union U {
  1: string s
  2: i32 n
}
struct HasU { 1: optional U u }
service S { Inner get(1: Outer o) throws (1: Oops oops) }
exception Oops { 1: required string why }
`);
  const Outer = structDefOf(paths.Outer)!;
  const HasU = structDefOf(paths.HasU)!;
  const failure = (f: () => unknown): string => {
    try {
      f();
    } catch (err) {
      return (err as Error).message;
    }
    throw new Error("did not fail");
  };

  it("names the field, element, map key or value that cannot be encoded", () => {
    const cases: [StructDef, unknown, string | undefined, string][] = [
      [Outer, { inner: { a: "x" } }, undefined, 'Outer.inner.a: expected an integer in -2147483648..2147483647, got "x"'],
      [Outer, { inner: { a: 1, xs: ["a", 2] } }, undefined, "Outer.inner.xs[1]: expected a string, got number 2"],
      [Outer, { inner: { a: 1 }, byName: new Map([["k", { a: 1n }]]) }, undefined, "Outer.byName[k].a: expected an integer in -2147483648..2147483647, got 1n"],
      [Outer, { inner: { a: 1 }, byId: new Map([["notint", "v"]]) }, undefined, 'Outer.byId{key}: expected an integer in -2147483648..2147483647, got "notint"'],
      [Outer, { inner: { a: 1 }, byId: new Map([[3, 4]]) }, undefined, "Outer.byId[3]: expected a string, got number 4"],
      [Outer, { inner: { a: 1 }, items: [{ a: 1 }, {}] }, undefined, "Outer.items[1].a: required field is missing"],
      [Outer, { inner: { a: 1, kee: 1 } }, undefined, 'Outer.inner: Inner has no field "kee" (fields: a, xs)'],
      [Outer, 5, undefined, "Outer: expected a Outer object, got number 5"],
      [Outer, {}, "X::y arguments", "X::y arguments.inner: required field is missing"],
      [Outer, { inner: { a: 1 }, ids: new Set([1n, "2"]) }, undefined, 'Outer.ids[1]: expected an i64 (bigint), got "2"'],
      [HasU, { u: {} }, undefined, "HasU.u: a union must have exactly one field set, got 0 (s, n)"],
      [HasU, { u: { s: "a", n: 1 } }, undefined, "HasU.u: a union must have exactly one field set, got 2 (s, n)"],
    ];
    for (const [d, value, path, message] of cases) {
      expect(failure(() => encodeStruct(d, value, path))).toBe(message);
      // The path property agrees with the message.
      try {
        encodeStruct(d, value, path);
      } catch (err) {
        expect(message.startsWith(`${(err as { path: string }).path}: `)).toBe(true);
      }
    }
  });

  it("names where the bytes end or go wrong, at every cut of a valid message", () => {
    const good = encodeStruct(Outer, { inner: { a: 1, xs: ["ab", "cd"] }, byName: new Map([["k", { a: 2, xs: ["e"] }]]), byId: new Map([[7, "seven"]]), items: [{ a: 3 }, { a: 4, xs: [] }], ids: [5n] });
    const expected: Record<number, string> = {
      0: "Outer: truncated: needs 1 bytes, 0 remain",
      6: "Outer.inner.a: truncated: needs 4 bytes, 0 remain",
      27: "P::q result.inner.xs[1]: truncated: needs 4 bytes, 3 remain",
      45: "P::q result.byName[k]: truncated: needs 1 bytes, 0 remain",
      57: "P::q result.byName[k].xs: truncated: needs 4 bytes, 1 remain",
      84: "Outer.byId[7]: length 5 exceeds the 1 bytes remaining",
      108: "Outer.items[1].a: truncated: needs 4 bytes, 1 remain",
      117: "P::q result.items[1].xs: truncated: needs 4 bytes, 2 remain",
      132: "Outer.ids: length 1 exceeds the 4 bytes remaining",
    };
    for (let n = 0; n < good.length; n++) {
      const message = failure(() => decodeStruct(Outer, Buffer.from(good.subarray(0, n)), n % 2 ? "P::q result" : undefined));
      expect(message).toMatch(n % 2 ? /^P::q result[.[:]/ : /^Outer[.[:]/);
      if (expected[n] !== undefined) expect(message).toBe(expected[n]);
    }
    expect(failure(() => decodeStruct(Outer, Buffer.from([0x0b, 0x00, 0x09, 0x00, 0x00, 0x00, 0x05, 0x61])))).toBe("Outer#9: length 5 exceeds the 1 bytes remaining");
    expect(failure(() => decodeStruct(Outer, Buffer.concat([good, Buffer.from([0])])))).toBe("Outer: 1 trailing bytes after the struct");
    expect(failure(() => decodeStruct(Outer, good, undefined, { maxElements: 5 }))).toBe("Outer: message holds more values than the decode budget allows");
  });

  it("structFieldArg writes what encodeStruct writes for an object with that field alone", () => {
    // The arg's bytes as the frame encoder would write them (exactly its size, at an offset).
    const fieldBytes = (def: StructDef, field: FieldDef | undefined, value: unknown, path?: string): Buffer => {
      const arg = structFieldArg(def, field, value, path);
      const buf = Buffer.alloc(arg.size + 3);
      expect(arg.writeInto(buf, 3)).toBe(buf.length);
      return buf.subarray(3);
    };
    const method = (paths.S as { methods: Map<string, { result: StructDef }> }).methods.get("get")!;
    const success = method.result.byId.get(0)!;
    const oops = method.result.byId.get(1)!;
    expect(fieldBytes(method.result, success, { a: 5, xs: ["z"] }).equals(encodeStruct(method.result, { success: { a: 5, xs: ["z"] } }))).toBe(true);
    const err = new paths.Oops({ why: "because" });
    expect(fieldBytes(method.result, oops, err).equals(encodeStruct(method.result, { oops: err }))).toBe(true);
    expect(fieldBytes(method.result, undefined, undefined).equals(encodeStruct(method.result, {}))).toBe(true);
    expect(failure(() => fieldBytes(method.result, success, { a: "no" }, "S::get result"))).toBe('S::get result.success.a: expected an integer in -2147483648..2147483647, got "no"');
  });
});
