// Thrift replies are written straight into the call res frame (issue 18: StructArg, sized first,
// then written in place). The whole class of replies: every size from empty to several frames,
// at and around the one-frame limit, with and without headers, each checksum type; replies that
// cannot be encoded, or change size between sizing and writing, answer an error frame and leave
// the connection usable.
import { afterEach, describe, expect, it } from "@jest/globals";
import { ChecksumType, MAX_FRAME_SIZE } from "@tchannel/frame";
import { Response, TChannel, UnexpectedError } from "@tchannel/channel";
import { thriftClient } from "./thrift-client.js";
import { loadThriftSource } from "./thrift-module.js";
import { Shifting } from "../test/shifting-payload.js";

const IDL = `
struct Payload {
  1: required i32 seq
  2: required binary data
  3: optional string text
}
service Echo {
  Payload echo(1: required Payload payload)
  Payload shaped(1: required i32 size)
}
`;

const open: TChannel[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

async function setup(checksumType: ChecksumType = ChecksumType.Crc32C) {
  const server = new TChannel({ name: "echo" });
  const client = new TChannel({ name: "echo-client", checksumType });
  open.push(server, client);
  const mod = loadThriftSource(IDL, { service: "echo" });
  thriftClient(server).register(mod.Echo, "echo", (req) => {
    const payload = req.body.payload as { seq: number; data: Buffer; text?: string };
    return payload.seq % 2 === 0 ? new Response(payload, { seq: String(payload.seq), pad: "x".repeat(payload.seq % 7) }) : payload;
  });
  thriftClient(server).register(mod.Echo, "shaped", (req) => {
    const size = req.body.size as number;
    if (size === -1) return { seq: 1, data: "not bytes" };
    if (size === -2) return new Shifting(Buffer.alloc(10), Buffer.alloc(20));
    if (size === -3) return new Shifting(Buffer.alloc(20), Buffer.alloc(10));
    if (size === -4) return new Shifting(Buffer.alloc(70_000), Buffer.alloc(70_001));
    return { seq: 2, data: Buffer.alloc(size, 7) };
  });
  const hostPort = await server.listen();
  const remote = loadThriftSource(IDL, { service: "echo", hostPort });
  return { thrift: thriftClient(client), remote };
}

describe("thrift replies written into the frame", () => {
  it("echoes every size from 0 B to several frames, around the one-frame limit, with and without headers, every checksum", async () => {
    // The reply's arg3 is the result struct: data plus ~20 bytes of fields; the frame holds
    // ~60-90 bytes of header, prefix and arg lengths. These sizes straddle the limit either way.
    const around = Array.from({ length: 25 }, (_, i) => MAX_FRAME_SIZE - 120 + i * 5);
    const sizes = [0, 1, 63, 4096, 16 * 1024, ...around, MAX_FRAME_SIZE, 2 * MAX_FRAME_SIZE + 3];
    for (const checksumType of [ChecksumType.None, ChecksumType.Crc32, ChecksumType.Crc32C, ChecksumType.Farmhash32]) {
      const { thrift, remote } = await setup(checksumType);
      await Promise.all(
        sizes.flatMap((size, k) =>
          [0, 1].map(async (odd) => {
            const seq = 2 * k + odd;
            const data = Buffer.alloc(size, seq & 0xff);
            // Multi-byte text at the end of the struct: its bytes, not its UTF-16 length, size it.
            const text = odd ? "é中😀".repeat(size % 5) : undefined;
            const res = await thrift(remote.Echo.echo({ payload: text === undefined ? { seq, data } : { seq, data, text } }), { timeout: 20_000 });
            const body = res.body as { seq: number; data: Buffer; text?: string };
            expect({ seq: body.seq, size: body.data.length, same: body.data.equals(data), text: body.text ?? undefined }).toEqual({ seq, size, same: true, text: text ?? undefined });
            expect(res.headers).toEqual(seq % 2 === 0 ? { seq: String(seq), pad: "x".repeat(seq % 7) } : {});
          }),
        ),
      );
      await Promise.all(open.splice(0).map((c) => c.close()));
    }
  }, 120_000);

  it("answers an error frame for a reply that cannot be encoded or changes size once sized; the connection goes on", async () => {
    const { thrift, remote } = await setup();
    const expectations: [number, RegExp][] = [
      [-1, /expected binary/],
      [-2, /changed after it was sized/],
      [-3, /declared \d+ bytes but wrote/],
      [-4, /changed after it was sized/],
    ];
    for (const [size, message] of expectations) {
      const failed = await thrift(remote.Echo.shaped({ size })).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(failed).toBeInstanceOf(UnexpectedError);
      expect((failed as Error).message).toMatch(message);
      // Nothing half-written: the next call on the same connection is whole.
      const res = await thrift(remote.Echo.shaped({ size: 5000 }));
      expect((res.body as { data: Buffer }).data.equals(Buffer.alloc(5000, 7))).toBe(true);
    }
  });
});
