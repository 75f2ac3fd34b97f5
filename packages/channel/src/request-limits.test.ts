import { afterEach, describe, expect, it } from "@jest/globals";
import { ChecksumType, EMPTY_TRACING, ErrorCode, type ErrorFrame, FrameType, encodeCallReq } from "@tchannel/frame";
import { destroyProbes, framesOf, probe } from "../test/probe.js";
import { BadRequestError, InvalidArgumentError } from "./errors.js";
import { TChannel } from "./tchannel.js";
import type { TChannelOptions } from "./options.js";

// Limits on what a peer can make a server hold (issue 15 item 4): request size, per channel and
// per endpoint, unfinished fragmented requests (count, bytes, TTL), and the sender's own check.

const open: TChannel[] = [];
afterEach(async () => {
  destroyProbes();
  await Promise.all(open.splice(0).map((c) => c.close()));
});

function channel(options: TChannelOptions): TChannel {
  const ch = new TChannel(options);
  open.push(ch);
  return ch;
}

async function server(options: Partial<TChannelOptions> = {}): Promise<{ ch: TChannel; hostPort: string; calls: string[] }> {
  const ch = channel({ name: "server", ...options });
  const calls: string[] = [];
  ch.raw.register("echo", (req) => {
    calls.push("echo");
    return req.body;
  });
  ch.raw.register(
    "upload",
    (req) => {
      calls.push("upload");
      return Buffer.from(String(req.body.length));
    },
    { maxRequestSize: 3_000_000 },
  );
  return { ch, hostPort: await ch.listen(), calls };
}

function callReq(id: number, bodySize: number, ttl = 1000): Buffer {
  return encodeCallReq({
    id,
    ttl,
    tracing: EMPTY_TRACING,
    service: "server",
    headers: { cn: "probe", as: "raw" },
    checksumType: ChecksumType.Crc32C,
    args: [Buffer.from("echo"), Buffer.alloc(0), Buffer.alloc(bodySize, 7)],
  });
}

describe("request size limits", () => {
  it("answers a request over maxRequestSize with BadRequest, and the connection goes on", async () => {
    const { hostPort, calls } = await server({ maxRequestSize: 100_000 });
    const client = channel({ name: "client" });
    const err = await client.raw({ service: "server", endpoint: "echo", body: Buffer.alloc(1_000_000), hostPort }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as Error).message).toMatch(/maxRequestSize/);
    const ok = await client.raw({ service: "server", endpoint: "echo", body: Buffer.alloc(90_000, 1), hostPort });
    expect(ok.body.length).toBe(90_000);
    expect(calls).toEqual(["echo"]);
  });

  it("takes an endpoint's own maxRequestSize over the channel's, both ways", async () => {
    const { hostPort, calls } = await server({ maxRequestSize: 100_000 });
    const client = channel({ name: "client" });
    const res = await client.raw({ service: "server", endpoint: "upload", body: Buffer.alloc(2_000_000), hostPort });
    expect(res.body.toString()).toBe("2000000");
    await expect(client.raw({ service: "server", endpoint: "upload", body: Buffer.alloc(4_000_000), hostPort })).rejects.toBeInstanceOf(BadRequestError);
    expect(calls).toEqual(["upload"]);
  });

  it("answers once, as soon as the limit is crossed, and swallows the rest of the message", async () => {
    const { hostPort } = await server({ maxRequestSize: 100_000 });
    const p = await probe(hostPort);
    await p.handshake();
    const frames = framesOf(callReq(5, 1_000_000));
    expect(frames.length).toBeGreaterThan(10);
    // Only the first three frames (~196 KB): the answer comes without the rest.
    for (const f of frames.slice(0, 3)) p.send(f);
    await p.until(() => p.frames.some((f) => f.type === FrameType.Error));
    for (const f of frames.slice(3)) p.send(f);
    p.send(callReq(6, 10));
    await p.until(() => p.frames.some((f) => f.type === FrameType.CallRes && f.id === 6));
    const errors = p.frames.filter((f): f is ErrorFrame => f.type === FrameType.Error);
    expect(errors.map((e) => [e.id, e.code])).toEqual([[5, ErrorCode.BadRequest]]);
    expect(p.closed).toBe(false);
  });

  it("fails a call whose arg exceeds the sender's maxArgSize before encoding or connecting", async () => {
    const client = channel({ name: "client", maxArgSize: 1000 });
    const err = await client.raw({ service: "server", endpoint: "echo", body: Buffer.alloc(2000), hostPort: "127.0.0.1:1" }).catch((e: unknown) => e);
    // A local mistake (nothing was sent), so not BadRequest, which only a peer answers.
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect(err).not.toBeInstanceOf(BadRequestError);
    expect((err as Error).message).toMatch(/2000 bytes exceeds maxArgSize/);
    expect(client.pendingCalls).toBe(0);
  });
});

describe("unfinished fragmented requests", () => {
  it("expire at their TTL with a Timeout error frame, and their late fragments are ignored", async () => {
    const { hostPort } = await server();
    const p = await probe(hostPort);
    await p.handshake();
    const frames = framesOf(callReq(9, 200_000, 150));
    const sent = performance.now();
    p.send(frames[0]!);
    await p.until(() => p.frames.some((f) => f.type === FrameType.Error), 5000);
    const waited = performance.now() - sent;
    const err = p.frames.find((f): f is ErrorFrame => f.type === FrameType.Error)!;
    expect(err).toMatchObject({ id: 9, code: ErrorCode.Timeout });
    expect(waited).toBeGreaterThanOrEqual(140);
    for (const f of frames.slice(1)) p.send(f);
    p.send(callReq(10, 10));
    await p.until(() => p.frames.some((f) => f.type === FrameType.CallRes && f.id === 10));
    expect(p.frames.filter((f) => f.type === FrameType.Error)).toHaveLength(1);
  });

  it("are bounded in count per connection: one more is answered Busy", async () => {
    const { hostPort } = await server({ maxPartialMessages: 3 });
    const p = await probe(hostPort);
    await p.handshake();
    for (let id = 1; id <= 5; id++) p.send(framesOf(callReq(id, 100_000))[0]!);
    await p.until(() => p.frames.filter((f) => f.type === FrameType.Error).length === 2);
    const errors = p.frames.filter((f): f is ErrorFrame => f.type === FrameType.Error);
    expect(errors.map((e) => [e.id, e.code])).toEqual([
      [4, ErrorCode.Busy],
      [5, ErrorCode.Busy],
    ]);
    // The first three complete normally.
    for (let id = 1; id <= 3; id++) for (const f of framesOf(callReq(id, 100_000)).slice(1)) p.send(f);
    await p.until(() => p.frames.filter((f) => f.type === FrameType.CallRes).length === 3);
  });

  it("are bounded in bytes per connection", async () => {
    const { hostPort } = await server({ maxPartialBytes: 150_000 });
    const p = await probe(hostPort);
    await p.handshake();
    for (let id = 1; id <= 3; id++) p.send(framesOf(callReq(id, 300_000))[0]!);
    await p.until(() => p.frames.some((f) => f.type === FrameType.Error));
    const errors = p.frames.filter((f): f is ErrorFrame => f.type === FrameType.Error);
    expect(errors.map((e) => [e.id, e.code])).toEqual([[3, ErrorCode.Busy]]);
  });
});
