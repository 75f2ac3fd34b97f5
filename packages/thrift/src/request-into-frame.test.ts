// Thrift requests are written straight into the call req frame (issue 18: StructArg through the
// channel's CALL_WITH_BODY_ARG). On the wire they are byte for byte what thriftCallOptions encodes
// (the bytes the sync client and every earlier release send; encodeStruct is checked against
// thriftrw in differential.test.ts), for every size from empty to several frames and every
// checksum; retries send the first attempt's bytes whatever the caller changed since; interceptors
// see bytes; values that cannot be encoded, or change size once sized, reject at the call site
// with InvalidArgumentError and leave the connection usable.
import { afterEach, describe, expect, it } from "@jest/globals";
import { BusyError, type InboundCall, InvalidArgumentError, TChannel, setCallInterceptor } from "@tchannel/channel";
import { ChecksumType, MAX_FRAME_SIZE } from "@tchannel/frame";
import { encodeStruct } from "./binary-codec.js";
import { thriftCallOptions } from "./thrift-call.js";
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
  i32 take(1: required Payload payload)
}
`;

const open: TChannel[] = [];
afterEach(async () => {
  setCallInterceptor(undefined);
  await Promise.all(open.splice(0).map((c) => c.close()));
});

const mod = loadThriftSource(IDL, { service: "echo" });
const method = mod.Echo.methods.get("take")!;

/** The result struct `{ success: n }`, as the server's low-level handler answers it. */
const answer = (n: number) => encodeStruct(method.result, { success: n }, "result", true);

/**
 * A server that records every request's arg3 (through the low-level register, so the bytes are
 * the wire's) and answers the number of calls so far; while `control.busy` is above 0, Busy.
 */
async function setup(options: { checksumType?: ChecksumType } = {}) {
  const server = new TChannel({ name: "echo" });
  const client = new TChannel({ name: "echo-client", checksumType: options.checksumType ?? ChecksumType.Crc32C });
  open.push(server, client);
  const received: Buffer[] = [];
  const control = { busy: 0 };
  server.register("Echo::take", "thrift", (call: InboundCall) => {
    received.push(Buffer.from(call.arg3));
    if (control.busy-- > 0) throw new BusyError("again");
    return { ok: true, arg2: Buffer.from([0, 0]), arg3: answer(received.length) };
  });
  const hostPort = await server.listen();
  const remote = loadThriftSource(IDL, { service: "echo", hostPort });
  return { thrift: thriftClient(client), remote, received, control };
}

describe("thrift requests written into the frame", () => {
  it("are byte for byte thriftCallOptions' arg3 at every size, around the one-frame limit, every checksum", async () => {
    // arg3 is the args struct: data plus ~20-30 bytes of fields; these sizes straddle the limit.
    const around = Array.from({ length: 13 }, (_, i) => MAX_FRAME_SIZE - 150 + i * 10);
    const sizes = [0, 1, 63, 4096, 16 * 1024, ...around, 2 * MAX_FRAME_SIZE + 3];
    for (const checksumType of [ChecksumType.None, ChecksumType.Crc32, ChecksumType.Crc32C, ChecksumType.Farmhash32]) {
      const { thrift, remote, received } = await setup({ checksumType });
      for (const [k, size] of sizes.entries()) {
        const text = k % 2 ? "é中😀".repeat(size % 5) : undefined;
        const payload = text === undefined ? { seq: k, data: Buffer.alloc(size, k) } : { seq: k, data: Buffer.alloc(size, k), text };
        const request = remote.Echo.take({ payload });
        const expected = Buffer.from(thriftCallOptions(request).arg3!);
        const res = await thrift(request);
        expect(res.body).toBe(received.length);
        expect(received.at(-1)!.equals(expected)).toBe(true);
      }
      await Promise.all(open.splice(0).map((c) => c.close()));
    }
  }, 120_000);

  it("retry with the first attempt's bytes when the caller changes its value after the call", async () => {
    for (const connected of [false, true]) {
      const { thrift, remote, received, control } = await setup();
      if (connected) await thrift(remote.Echo.take({ payload: { seq: 0, data: Buffer.alloc(0) } }));
      received.length = 0;
      control.busy = 2;
      const data = Buffer.alloc(5000, 3);
      const payload = { seq: 7, data, text: "before" };
      const expected = Buffer.from(thriftCallOptions(remote.Echo.take({ payload })).arg3!);
      const pending = thrift(remote.Echo.take({ payload }), { retryLimit: 3 });
      // Same size, other bytes: only the bytes taken when the call started may go out.
      data.fill(9);
      payload.text = "after!";
      payload.seq = 8;
      expect((await pending).body).toBe(3);
      expect(received).toHaveLength(3);
      for (const r of received) expect(r.equals(expected)).toBe(true);
    }
  });

  it("give a call interceptor arg3 as bytes, the same bytes as thriftCallOptions'", async () => {
    const { thrift, remote, received } = await setup();
    const seen: unknown[] = [];
    setCallInterceptor((options, _ch, next) => {
      seen.push(options.arg3);
      return next(options);
    });
    const request = remote.Echo.take({ payload: { seq: 1, data: Buffer.from("abc") } });
    const expected = Buffer.from(thriftCallOptions(request).arg3!);
    expect((await thrift(request)).body).toBe(1);
    expect(seen[0]).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(seen[0] as Uint8Array).equals(expected)).toBe(true);
    expect(received[0]!.equals(expected)).toBe(true);
  });

  it("reject values that cannot be encoded, or change size once sized, with InvalidArgumentError; the connection goes on", async () => {
    const { thrift, remote, received } = await setup();
    const bad: [unknown, RegExp][] = [
      [{ seq: "one", data: Buffer.alloc(1) }, /cannot encode the thrift request: Echo::take arguments\.payload\.seq: expected an integer/],
      [{ seq: 1 }, /required field is missing/],
      [new Shifting(Buffer.alloc(10), Buffer.alloc(20)), /cannot write the request body/],
      [new Shifting(Buffer.alloc(20), Buffer.alloc(10)), /cannot write the request body|declared \d+ bytes but wrote/],
      [new Shifting(Buffer.alloc(70_000), Buffer.alloc(70_001)), /cannot write the request body/],
    ];
    // Connected first, so bodies are written in the frame's encode (not taken before connecting).
    expect((await thrift(remote.Echo.take({ payload: { seq: 0, data: Buffer.alloc(0) } }))).body).toBe(1);
    for (const [payload, message] of bad) {
      const failed = await thrift(remote.Echo.take({ payload: payload as { seq: number; data: Buffer } })).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(failed).toBeInstanceOf(InvalidArgumentError);
      expect((failed as Error).message).toMatch(message);
      expect((failed as InvalidArgumentError).endpoint).toBe("Echo::take");
    }
    expect(received).toHaveLength(1);
    const res = await thrift(remote.Echo.take({ payload: { seq: 2, data: Buffer.alloc(3000, 1) } }));
    expect(res.body).toBe(2);
  });
});
