import { afterEach, describe, expect, it } from "@jest/globals";
import { TChannel } from "@tchannel/channel";
import { EMPTY_TRACING, ErrorCode, type ErrorFrame, FrameType, encodeFrame } from "@tchannel/frame";
import { Probe, callReqFrame, framesOf } from "./probe.js";
import { ServerProcess } from "./server-process.js";

// What a hostile or broken peer sends a server in another process: slow-loris in its variants,
// fragments never finished, cancels. Each gets the protocol's answer or a closed connection within
// the configured bounds, and the server keeps serving everyone else.

const servers: ServerProcess[] = [];
const probes: Probe[] = [];
afterEach(async () => {
  for (const p of probes.splice(0)) p.destroy();
  await Promise.all(servers.splice(0).map((s) => s.kill()));
});

async function server(channel: Record<string, unknown> = {}): Promise<ServerProcess> {
  const s = await ServerProcess.start({ channel });
  servers.push(s);
  return s;
}

async function probe(hostPort: string): Promise<Probe> {
  const p = await Probe.open(hostPort);
  probes.push(p);
  return p;
}

function callReq(id: number, endpoint: string, bodySize?: number, ttl?: number): Buffer {
  return callReqFrame(id, { endpoint, bodySize, ttl });
}

async function stillServes(hostPort: string): Promise<void> {
  const c = new TChannel({ name: "check" });
  try {
    expect((await c.raw({ service: "fault", endpoint: "echo", body: Buffer.from("alive"), hostPort })).body.toString()).toBe("alive");
  } finally {
    await c.close();
  }
}

describe("slow-loris", () => {
  const limits = { initTimeout: 500, frameTimeout: 500 };

  it("silent, half an init, half a frame, and a frame dribbled a byte at a time: each connection is closed within its bound", async () => {
    const s = await server(limits);
    const silent = await probe(s.hostPort);
    const halfInit = await probe(s.hostPort);
    halfInit.send(Probe.initReq().subarray(0, 10));
    const halfFrame = await probe(s.hostPort);
    await halfFrame.handshake();
    halfFrame.send(callReq(5, "echo").subarray(0, 20));
    const dribble = await probe(s.hostPort);
    await dribble.handshake();
    const frame = callReq(6, "echo", 3000);
    let i = 0;
    const timer = setInterval(() => dribble.send(frame.subarray(i, ++i)), 50);
    const started = performance.now();
    try {
      for (const p of [silent, halfInit, halfFrame, dribble]) await p.until(() => p.closed, 10_000);
    } finally {
      clearInterval(timer);
    }
    expect(performance.now() - started).toBeLessThan(10_000);
    // The dribbler was told why (fatal protocol error) before the close.
    expect(dribble.frames.at(-1)).toMatchObject({ type: FrameType.Error, code: ErrorCode.FatalProtocol });
    await stillServes(s.hostPort);
  });
});

describe("fragments never finished", () => {
  it("expire at their TTL with a Timeout error frame each, and the rest of the connection goes on", async () => {
    const s = await server();
    const p = await probe(s.hostPort);
    await p.handshake();
    for (let id = 1; id <= 50; id++) p.send(framesOf(callReq(id, "echo", 200_000, 300))[0]!);
    await p.until(() => p.frames.filter((f) => f.type === FrameType.Error).length === 50, 10_000);
    const errors = p.frames.filter((f): f is ErrorFrame => f.type === FrameType.Error);
    expect(new Set(errors.map((e) => e.code))).toEqual(new Set([ErrorCode.Timeout]));
    expect(new Set(errors.map((e) => e.id)).size).toBe(50);
    p.send(callReq(99, "echo"));
    await p.until(() => p.frames.some((f) => f.type === FrameType.CallRes && f.id === 99));
    expect(p.closed).toBe(false);
  });

  it("too many at once are answered Busy; too large is answered BadRequest without buffering the rest", async () => {
    const s = await server({ maxPartialMessages: 8, maxRequestSize: 100_000 });
    const p = await probe(s.hostPort);
    await p.handshake();
    for (let id = 1; id <= 10; id++) p.send(framesOf(callReq(id, "echo", 100_000 - 100))[0]!);
    await p.until(() => p.frames.filter((f) => f.type === FrameType.Error).length === 2);
    expect(p.frames.filter((f): f is ErrorFrame => f.type === FrameType.Error).map((e) => [e.id, e.code])).toEqual([
      [9, ErrorCode.Busy],
      [10, ErrorCode.Busy],
    ]);
    const q = await probe(s.hostPort);
    await q.handshake();
    const big = framesOf(callReq(20, "echo", 10_000_000));
    q.send(big[0]!);
    q.send(big[1]!);
    await q.until(() => q.frames.some((f) => f.id === 20));
    expect(q.frames.find((f) => f.id === 20)).toMatchObject({ type: FrameType.Error, code: ErrorCode.BadRequest });
    await stillServes(s.hostPort);
  });
});

describe("cancel", () => {
  it("is answered with error 0x02 Cancelled for the call's id", async () => {
    const s = await server();
    const p = await probe(s.hostPort);
    await p.handshake();
    p.send(callReq(7, "hang"));
    await new Promise((r) => setTimeout(r, 200));
    p.send(encodeFrame({ type: FrameType.Cancel, id: 7, ttl: 0, tracing: EMPTY_TRACING, why: "gave up" }));
    await p.until(() => p.frames.some((f) => f.id === 7));
    expect(p.frames.find((f) => f.id === 7)).toMatchObject({ type: FrameType.Error, code: ErrorCode.Cancelled });
  });
});
