import { allocFrameBuffer } from "./frame-slab.js";

describe("allocFrameBuffer", () => {
  it("hands out non-overlapping buffers of the asked size, small ones from shared slabs", () => {
    const bufs = Array.from({ length: 200 }, (_, i) => allocFrameBuffer(1 + ((i * 977) % 16_384)));
    bufs.forEach((b, i) => {
      expect(b.length).toBe(1 + ((i * 977) % 16_384));
      b.fill(i & 0xff);
    });
    bufs.forEach((b, i) => expect(b.every((v) => v === (i & 0xff))).toBe(true));
    const shared = new Set(bufs.map((b) => b.buffer));
    expect(shared.size).toBeLessThan(bufs.length / 4);
  });

  it("hands out consecutive small frames back to back, so they can be written as one buffer", () => {
    const a = allocFrameBuffer(37);
    const b = allocFrameBuffer(101);
    if (b.buffer === a.buffer) expect(b.byteOffset).toBe(a.byteOffset + a.length);
    else expect(b.byteOffset).toBe(0); // a new slab began
  });

  it("gives a large frame its own buffer", () => {
    const big = allocFrameBuffer(65_535);
    expect(big.length).toBe(65_535);
    expect(big.buffer.byteLength).toBe(65_535);
  });
});
