import { afterEach, describe, expect, it } from "@jest/globals";
import { closeOpened, echoPair, track } from "../test/echo-pair.js";
import { TChannel } from "./tchannel.js";

// Outbound sockets read into one buffer shared by every connection (Connection.dial): whatever a
// caller is handed must be a copy or a view of bytes of its own, never of that buffer, which the
// next read of any socket overwrites. These tests hold every answer until all are in, then check
// each, across message sizes that take each of FrameReader's paths (small frames copied per
// chunk, large frames passed transient, messages split across reads and fragments).

afterEach(closeOpened);

/** A body whose every byte depends on `seed`, so a body overwritten by another's bytes differs. */
function body(seed: number, size: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) b[i] = (seed * 31 + i * 7) & 0xff;
  return b;
}

const SIZES = [0, 1, 64, 4000, 16 * 1024 - 200, 16 * 1024 + 100, 40_000, 65_000, 200_000];

describe("the shared read buffer of outbound sockets", () => {
  it("leaves every answer intact while later answers arrive", async () => {
    const { client, hostPort } = await echoPair();
    const sent: Buffer[] = [];
    const calls: Promise<{ body: Buffer; headers: Buffer }>[] = [];
    for (let i = 0; i < 300; i++) {
      const b = body(i, SIZES[i % SIZES.length]!);
      sent.push(b);
      calls.push(client.raw({ service: "server", endpoint: "echo", body: b, hostPort }));
    }
    const answers = await Promise.all(calls);
    // Checked only now, after every read: a view of the shared buffer would hold later bytes.
    answers.forEach((res, i) => expect(res.body.equals(sent[i]!)).toBe(true));
  });

  it("is shared by two connections to two servers, each answer intact", async () => {
    const a = await echoPair();
    const b = await echoPair();
    const client = track(new TChannel({ name: "two-servers" }));
    const calls: Promise<{ body: Buffer }>[] = [];
    const sent: Buffer[] = [];
    for (let i = 0; i < 120; i++) {
      const payload = body(1000 + i, SIZES[(i * 5) % SIZES.length]!);
      sent.push(payload);
      calls.push(client.raw({ service: "server", endpoint: "echo", body: payload, hostPort: i % 2 === 0 ? a.hostPort : b.hostPort }));
    }
    const answers = await Promise.all(calls);
    answers.forEach((res, i) => expect(res.body.equals(sent[i]!)).toBe(true));
  });

  it("leaves chunks of streamed answers intact after they are handed over", async () => {
    const { client, hostPort } = await echoPair({ streamed: true });
    const chunks = [body(7, 100), body(8, 30_000), body(9, 70_000), body(10, 5)];
    const res = await client.callStreamed({ service: "server", scheme: "raw", arg1: "echo-streamed", arg3: chunks, hostPort });
    const got: Buffer[] = [];
    for await (const chunk of res.arg3) got.push(chunk);
    expect(Buffer.concat(got).equals(Buffer.concat(chunks))).toBe(true);
  });
});
