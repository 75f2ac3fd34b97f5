// Where the CRCs of large chunks come from. @node-rs/crc32 (SIMD napi code) is an optional
// dependency: `npm install --omit=optional`, or a platform it has no prebuilt binary for, leaves it
// out, and the codec must still load. Then CRC-32 comes from Node's own zlib.crc32 (native,
// Node >= 20.15) and CRC-32C from the pure-JS tables of crc-32, with the same results.
import CRC32C from "crc-32/crc32c.js";
import { crc32 as zlibCrc32 } from "node:zlib";

/** CRC functions that continue from a finished CRC (`seed`) and return an unsigned u32. */
export interface CrcFunctions {
  crc32(data: Uint8Array, seed: number): number;
  crc32c(data: Uint8Array, seed: number): number;
}

/**
 * The native CRC functions `load` returns (it requires @node-rs/crc32), or undefined when loading
 * fails for any reason: package absent, no binary for this platform, a binary that does not load.
 */
export function loadNativeCrc(load: () => unknown): CrcFunctions | undefined {
  let loaded: unknown;
  try {
    loaded = load();
  } catch {
    return undefined;
  }
  const candidate = loaded as Partial<CrcFunctions> | null | undefined;
  if (typeof candidate?.crc32 !== "function" || typeof candidate.crc32c !== "function") return undefined;
  return { crc32: candidate.crc32, crc32c: candidate.crc32c };
}

/** The fallback: no optional dependency needed. */
export const portableCrc: CrcFunctions = {
  // zlib.crc32 of no bytes is 0 whatever the seed; a CRC continued over nothing is the seed.
  crc32: (data, seed) => (data.length === 0 ? seed >>> 0 : zlibCrc32(data, seed)),
  crc32c: (data, seed) => CRC32C.buf(data, seed) >>> 0,
};
