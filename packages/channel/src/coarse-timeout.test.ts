import { coarseDuration } from "./coarse-timeout.js";

describe("coarseDuration", () => {
  it("keeps short durations exact and never rounds down", () => {
    for (const ms of [1, 2, 50, 64]) expect(coarseDuration(ms)).toBe(ms);
    for (let ms = 65; ms < 200_000; ms += 997) {
      const d = coarseDuration(ms);
      expect(d).toBeGreaterThanOrEqual(ms);
      expect(d).toBeLessThanOrEqual(ms * 1.016);
    }
  });

  it("maps the TTLs of calls made a few ms apart to one duration", () => {
    expect(new Set([9_990, 9_995, 9_998, 9_999, 10_000].map(coarseDuration)).size).toBe(1);
    expect(new Set([29_970, 29_990, 29_999, 30_000].map(coarseDuration)).size).toBe(1);
  });
});
