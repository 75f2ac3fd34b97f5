import { describe, expect, it } from "@jest/globals";
import { ChecksumType } from "./checksum.js";
import { MAX_FRAME_SIZE } from "./constants.js";
import { type EncodableArg, argSize, isOutgoingArg } from "./encodable-arg.js";
import { type CallReqMessage, type CallResMessage, encodeCallReq, encodeCallRes } from "./encode-call-message.js";
import { FrameEncodeError } from "./errors.js";
import { encodeCallReqPieces, encodeCallResPieces } from "./fragment-writer.js";
import { rootTracing } from "./tracing.js";

function fill(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 13 + seed) & 0xff;
  return b;
}

/** An encodable arg that writes `bytes` (and counts its writes). */
class BytesArg implements EncodableArg {
  writes = 0;
  constructor(readonly bytes: Buffer) {}
  get size(): number {
    return this.bytes.length;
  }
  writeInto(buf: Buffer, offset: number): number {
    this.writes++;
    return offset + this.bytes.copy(buf, offset);
  }
}

const tracing = rootTracing();
const CHECKSUMS = [ChecksumType.None, ChecksumType.Crc32, ChecksumType.Crc32C, ChecksumType.Farmhash32];

function req(a2: Buffer | EncodableArg, a3: Buffer | EncodableArg, checksumType: ChecksumType, headers: Record<string, string>): CallReqMessage {
  return { id: 7, ttl: 1000, tracing, service: "svc", headers, checksumType, args: [Buffer.from("Svc::method"), a2, a3] };
}

function res(a2: Buffer | EncodableArg, a3: Buffer | EncodableArg, checksumType: ChecksumType, headers: Record<string, string>): CallResMessage {
  return { id: 7, code: 0, tracing, headers, checksumType, args: [Buffer.alloc(0), a2, a3] };
}

// The largest arg3 that still fits one frame, for arg2 of `a2` bytes (measured with bytes).
function oneFrameLimit(a2: number, checksumType: ChecksumType, headers: Record<string, string>): number {
  return MAX_FRAME_SIZE - encodeCallReq(req(fill(a2, 1), Buffer.alloc(0), checksumType, headers)).length;
}

describe("encodable args (issue 18)", () => {
  const HEADER_SETS: Record<string, string>[] = [{}, { as: "thrift", cn: "caller", re: "c" }];

  it("frames the same bytes as byte args, from 0 B to past one frame, at and around the frame limit, all checksums", () => {
    let compared = 0;
    for (const headers of HEADER_SETS) {
      for (const checksumType of CHECKSUMS) {
        for (const a2Size of [0, 2, 300]) {
          const limit = oneFrameLimit(a2Size, checksumType, headers);
          for (const a3Size of [0, 1, 4096, limit - 1, limit, limit + 1, limit + 2, MAX_FRAME_SIZE, 150_000]) {
            const a2 = fill(a2Size, 2);
            const a3 = fill(a3Size, 3);
            const expectedReq = encodeCallReq(req(a2, a3, checksumType, headers));
            const expectedRes = encodeCallRes(res(a2, a3, checksumType, headers));
            const expectedReqPieces = Buffer.concat(encodeCallReqPieces(req(a2, a3, checksumType, headers)));
            const expectedResPieces = Buffer.concat(encodeCallResPieces(res(a2, a3, checksumType, headers)));
            // Each arg alone encodable, and both.
            for (const [x, y] of [[new BytesArg(a2), a3], [a2, new BytesArg(a3)], [new BytesArg(a2), new BytesArg(a3)]] as const) {
              // .equals, not toEqual: a failing toEqual diffs 150 KB byte by byte for minutes.
              const same = [
                encodeCallReq(req(x, y, checksumType, headers)).equals(expectedReq),
                encodeCallRes(res(x, y, checksumType, headers)).equals(expectedRes),
                Buffer.concat(encodeCallReqPieces(req(x, y, checksumType, headers))).equals(expectedReqPieces),
                Buffer.concat(encodeCallResPieces(res(x, y, checksumType, headers))).equals(expectedResPieces),
              ];
              expect({ headers, checksumType, a2Size, a3Size, same }).toEqual({ headers, checksumType, a2Size, a3Size, same: [true, true, true, true] });
              compared++;
            }
            // One frame exactly up to the limit, more frames past it.
            expect(expectedReq.length <= MAX_FRAME_SIZE).toBe(a3Size <= limit);
          }
        }
      }
    }
    expect(compared).toBe(2 * 4 * 3 * 9 * 3);
  });

  it("writes an encodable arg once per encode, in place", () => {
    const a3 = new BytesArg(fill(4096, 5));
    encodeCallRes(res(Buffer.alloc(0), a3, ChecksumType.Crc32C, {}));
    expect(a3.writes).toBe(1);
    // A retried call encodes again: the same bytes.
    expect(encodeCallRes(res(Buffer.alloc(0), a3, ChecksumType.Crc32C, {}))).toEqual(encodeCallRes(res(Buffer.alloc(0), a3.bytes, ChecksumType.Crc32C, {})));
    expect(a3.writes).toBe(2);
  });

  it("fails the encode, with nothing returned, when an arg throws or writes another length; the next encode is whole", () => {
    const throwing: EncodableArg = {
      size: 100,
      writeInto() {
        throw new Error("a getter failed");
      },
    };
    const short: EncodableArg = { size: 100, writeInto: (_buf, offset) => offset + 99 };
    const long: EncodableArg = { size: 100, writeInto: (buf, offset) => offset + fill(100, 1).copy(buf, offset) + 1 };
    for (const size of [100, 200_000]) {
      const big = (arg: EncodableArg): EncodableArg => (size === 100 ? arg : { size, writeInto: (buf, offset) => arg.writeInto(buf, offset) - 100 + size });
      expect(() => encodeCallReq(req(Buffer.alloc(0), big(throwing), ChecksumType.Crc32C, {}))).toThrow("a getter failed");
      expect(() => encodeCallRes(res(Buffer.alloc(0), big(short), ChecksumType.Crc32C, {}))).toThrow(FrameEncodeError);
      expect(() => encodeCallResPieces(res(Buffer.alloc(0), big(long), ChecksumType.Crc32C, {}))).toThrow(/declared \d+ bytes but wrote/);
    }
    const a3 = fill(5000, 9);
    expect(encodeCallReq(req(Buffer.alloc(0), new BytesArg(a3), ChecksumType.Crc32C, {}))).toEqual(encodeCallReq(req(Buffer.alloc(0), a3, ChecksumType.Crc32C, {})));
  });

  it("refuses encodables without a whole, non-negative size", () => {
    const write = (_buf: Buffer, offset: number) => offset;
    for (const bad of [{ size: -1, writeInto: write }, { size: 1.5, writeInto: write }, { size: "3", writeInto: write }, { size: 3 }, { length: 3 }]) {
      expect(isOutgoingArg(bad)).toBe(false);
      expect(() => encodeCallReq(req(Buffer.alloc(0), bad as unknown as EncodableArg, ChecksumType.None, {}))).toThrow(FrameEncodeError);
    }
    expect(argSize({ size: 3, writeInto: write })).toBe(3);
    expect(argSize(Buffer.alloc(4))).toBe(4);
  });
});
