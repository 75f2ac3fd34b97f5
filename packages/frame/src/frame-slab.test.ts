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

  it("gives a large frame its own buffer", () => {
    const big = allocFrameBuffer(65_535);
    expect(big.length).toBe(65_535);
    expect(big.buffer.byteLength).toBe(65_535);
  });
});
