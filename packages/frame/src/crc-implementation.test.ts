import { describe, expect, it } from "@jest/globals";
import { createRequire } from "node:module";
import { crc32 as zlibCrc32 } from "node:zlib";
import { nativeChecksums } from "./checksum.js";
import { type CrcFunctions, loadNativeCrc, portableCrc } from "./crc-implementation.js";

const requireHere = createRequire(__filename);

function missingModule(): never {
  // What Node throws when `npm install --omit=optional` left the package out.
  throw Object.assign(new Error("Cannot find module '@node-rs/crc32'"), { code: "MODULE_NOT_FOUND" });
}

describe("the optional native CRC module", () => {
  it("is used when it loads (it is installed in this workspace)", () => {
    expect(loadNativeCrc(() => requireHere("@node-rs/crc32"))).toBeDefined();
    expect(nativeChecksums).toBe(true);
  });

  it("is skipped, not fatal, when absent, without a binary for the platform, or not what we expect", () => {
    expect(loadNativeCrc(missingModule)).toBeUndefined();
    expect(
      loadNativeCrc(() => {
        throw new Error("Cannot find native binding. npm has a bug related to optional dependencies");
      }),
    ).toBeUndefined();
    expect(loadNativeCrc(() => ({}))).toBeUndefined();
    expect(loadNativeCrc(() => undefined)).toBeUndefined();
  });

  it("has a portable fallback that gives the same CRCs, chained from any seed", () => {
    const native = loadNativeCrc(() => requireHere("@node-rs/crc32"))!;
    const fallback: CrcFunctions = loadNativeCrc(missingModule) ?? portableCrc;
    expect(fallback).toBe(portableCrc);
    // The standard check values over "123456789".
    expect(fallback.crc32(Buffer.from("123456789"), 0)).toBe(0xcbf43926);
    expect(fallback.crc32c(Buffer.from("123456789"), 0)).toBe(0xe3069283);
    let state = 12345;
    const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0);
    for (const size of [0, 1, 127, 128, 129, 1000, 65536, 300_001]) {
      const data = Buffer.alloc(size);
      for (let i = 0; i < size; i++) data[i] = next() & 0xff;
      for (const seed of [0, 1, 0xffffffff, next()]) {
        expect(fallback.crc32(data, seed)).toBe(native.crc32(data, seed));
        expect(fallback.crc32c(data, seed)).toBe(native.crc32c(data, seed));
      }
      expect(fallback.crc32(data, 0)).toBe(zlibCrc32(data));
    }
  });
});
