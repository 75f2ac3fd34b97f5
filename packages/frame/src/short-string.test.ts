import { readUtf8, utf8Length, writeUtf8 } from "./short-string.js";

describe("short strings", () => {
  it.each(["", "as", "bench-client", "ünïcode", "日本", "x".repeat(32), "y".repeat(33), "é".repeat(40)])("round-trips %j like Buffer does", (s) => {
    expect(utf8Length(s)).toBe(Buffer.byteLength(s));
    const buf = Buffer.alloc(utf8Length(s) + 4, 0xee);
    expect(writeUtf8(buf, 2, s)).toBe(Buffer.byteLength(s));
    expect(buf.subarray(2, 2 + Buffer.byteLength(s)).equals(Buffer.from(s))).toBe(true);
    expect(buf[1]).toBe(0xee); // nothing written outside
    expect(buf[2 + Buffer.byteLength(s)]).toBe(0xee);
    expect(readUtf8(buf, 2, Buffer.byteLength(s))).toBe(s);
    expect(readUtf8(buf, 2, Buffer.byteLength(s))).toBe(s); // interned the second time
  });

  it("never returns an interned string for different bytes of the same length", () => {
    // Many distinct strings of one length: hash collisions must fall back to decoding.
    const seen = new Map<string, string>();
    for (let i = 0; i < 5000; i++) {
      const s = `k${i.toString(36).padStart(4, "0")}`;
      const buf = Buffer.from(s);
      seen.set(s, readUtf8(buf, 0, buf.length));
    }
    for (const [s, decoded] of seen) expect(decoded).toBe(s);
    for (let i = 0; i < 5000; i++) {
      const s = `k${i.toString(36).padStart(4, "0")}`;
      expect(readUtf8(Buffer.from(`..${s}`), 2, s.length)).toBe(s);
    }
  });

  it("decodes invalid UTF-8 as Buffer#toString does", () => {
    const bad = Buffer.from([0x61, 0xff, 0xc3]);
    expect(readUtf8(bad, 0, 3)).toBe(bad.toString("utf8"));
    expect(readUtf8(bad, 0, 3)).toBe(bad.toString("utf8"));
  });
});
