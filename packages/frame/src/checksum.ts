import { createRequire } from "node:module";
import CRC32 from "crc-32";
import CRC32C from "crc-32/crc32c.js";
import { loadNativeCrc, portableCrc } from "./crc-implementation.js";

// Loaded with require, not import: importing this napi package from ESM costs ~12 MiB more peak
// RSS than requiring it (measured for issue 7: 55 vs 43 MiB for a bare process). It is optional:
// without it, large chunks use the portable functions (crc-implementation.ts).
const requireHere = createRequire(import.meta.url);
const native = loadNativeCrc(() => requireHere("@node-rs/crc32"));
const { crc32: largeCrc32, crc32c: largeCrc32c } = native ?? portableCrc;

/**
 * True when checksums of large chunks use the native @node-rs/crc32 (an optional dependency);
 * false when it is not installed and the portable fallback computes them (same results, slower).
 */
export const nativeChecksums: boolean = native !== undefined;
// Farmhash is never a default (spec §8): its WASM module (~6 MiB RSS) loads on first use.
let fingerprint32: typeof import("farmhash-modern").fingerprint32 | undefined;

/** Checksum types (spec §8). */
export const ChecksumType = {
  /** 0x00: no checksum; the csum field is absent. */
  None: 0x00,
  /** 0x01: CRC-32/IEEE as zlib computes it (the spec's "adler-32" label is wrong). */
  Crc32: 0x01,
  /**
   * 0x02: farmhash Fingerprint32, as tchannel-node computes it: of the frame's last arg chunk
   * only (it ignores the seed). Not interoperable with Go or Python (spec §8): never the default.
   */
  Farmhash32: 0x02,
  /** 0x03: CRC-32C/Castagnoli; what tchannel-node and tchannel-python send by default. */
  Crc32C: 0x03,
} as const;

export type ChecksumType = (typeof ChecksumType)[keyof typeof ChecksumType];

export function isChecksumType(value: number): value is ChecksumType {
  return value >= 0 && value <= 3 && Number.isInteger(value);
}

/** Bytes of the csum field for a checksum type: 0 for none, else 4. */
export function checksumSize(type: ChecksumType): number {
  return type === ChecksumType.None ? 0 : 4;
}

// Measured (ARCHITECTURE.md): the pure-JS tables of crc-32 win below ~128 bytes (no native call
// overhead), the SIMD napi code of @node-rs/crc32 (when installed) wins above. Both continue from a finished CRC.
const NATIVE_THRESHOLD = 128;

/**
 * Continues a frame's running checksum over `data` (spec §8: the checksum of frame n is seeded
 * with that of frame n-1, so it equals the CRC of all arg bytes so far). Returns an unsigned u32.
 */
export function updateChecksum(type: ChecksumType, seed: number, data: Uint8Array): number {
  switch (type) {
    case ChecksumType.Crc32C:
      return data.length <= NATIVE_THRESHOLD ? CRC32C.buf(data, seed) >>> 0 : largeCrc32c(data, seed);
    case ChecksumType.Crc32:
      return data.length <= NATIVE_THRESHOLD ? CRC32.buf(data, seed) >>> 0 : largeCrc32(data, seed);
    case ChecksumType.Farmhash32:
      fingerprint32 ??= (requireHere("farmhash-modern") as typeof import("farmhash-modern")).fingerprint32;
      return fingerprint32(data);
    default:
      return 0;
  }
}

/** The checksum of a frame carrying `chunks`, continuing from `seed` (0 for a message's first frame). */
export function computeChecksum(type: ChecksumType, chunks: readonly Uint8Array[], seed: number): number {
  let csum = seed;
  for (let i = 0; i < chunks.length; i++) csum = updateChecksum(type, csum, chunks[i]!);
  return csum;
}
