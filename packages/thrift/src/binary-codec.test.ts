// The encoder's shared slab (binary-codec.ts, Writer): encoded values are views of one buffer, so
// a later encode must never write over an earlier value, whatever sizes come in whatever order.
import { describe, expect, it } from "@jest/globals";
import { Thrift } from "thriftrw";
import { decodeStruct, encodeStruct } from "./binary-codec.js";
import { encodeThrift } from "./struct-codec.js";
import { structDefOf } from "./thrift-classes.js";
import { loadThriftSource } from "./thrift-module.js";
import type { StructDef } from "./thrift-type.js";

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

/** mulberry32, fixed seed: every run draws the same sizes. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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
    expect(small.buffer.byteLength).toBeLessThan(64 * 1024);
    const large = encodeThrift(mod.Item, { n: 1, data: Buffer.alloc(100_000, 3) });
    expect(large.equals(theirs({ n: 1, data: Buffer.alloc(100_000, 3) }))).toBe(true);
  });
});
