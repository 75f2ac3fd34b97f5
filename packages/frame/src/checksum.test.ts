import { describe, expect, it } from "@jest/globals";
import { crc32 as zlibCrc32 } from "node:zlib";
import { ChecksumType, computeChecksum, updateChecksum } from "./checksum.js";

const check = Buffer.from("123456789");

describe("checksums (spec §8)", () => {
  it("match the standard check values", () => {
    expect(updateChecksum(ChecksumType.Crc32, 0, check)).toBe(0xcbf43926);
    expect(updateChecksum(ChecksumType.Crc32C, 0, check)).toBe(0xe3069283);
    expect(updateChecksum(ChecksumType.None, 0, check)).toBe(0);
  });

  it("chain across chunks like one CRC over their concatenation, on both sides of the native threshold", () => {
    const data = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 31) & 0xff));
    for (const type of [ChecksumType.Crc32, ChecksumType.Crc32C]) {
      const whole = updateChecksum(type, 0, data);
      for (const cut of [0, 1, 100, 127, 128, 129, 200, 4999]) {
        expect(computeChecksum(type, [data.subarray(0, cut), data.subarray(cut)], 0)).toBe(whole);
      }
    }
    expect(updateChecksum(ChecksumType.Crc32, 0, data)).toBe(zlibCrc32(data));
  });

  it("gives the CRC-32C of a captured tchannel-node frame (spec §16.10)", () => {
    const args = [Buffer.from("add"), Buffer.from('{"k":"v"}'), Buffer.from('{"a":1,"b":2}')];
    expect(computeChecksum(ChecksumType.Crc32C, args, 0)).toBe(0x76174a84);
  });

  it("computes farmhash as tchannel-node does: Fingerprint32 of the last chunk, seed ignored (spec §8)", () => {
    const args = [Buffer.from("echo"), Buffer.from("hdr"), Buffer.from("hello")];
    expect(computeChecksum(ChecksumType.Farmhash32, args, 0)).toBe(0x79969366);
    expect(computeChecksum(ChecksumType.Farmhash32, args, 12345)).toBe(0x79969366);
  });

  it("returns unsigned values", () => {
    for (let i = 0; i < 200; i++) {
      const data = Buffer.from(`key-${i}`);
      for (const type of [ChecksumType.Crc32, ChecksumType.Crc32C, ChecksumType.Farmhash32]) {
        expect(updateChecksum(type, 0, data)).toBeGreaterThanOrEqual(0);
      }
    }
  });
});
