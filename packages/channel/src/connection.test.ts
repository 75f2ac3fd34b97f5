import { afterEach, describe, expect, it } from "@jest/globals";
import { readFileSync } from "node:fs";
import type { Socket } from "node:net";
import { ChecksumType, EMPTY_TRACING, ErrorCode, type ErrorFrame, type Frame, FrameDecoder, FrameType, type InitFrame, NULL_ID, encodeCallReq, encodeFrame } from "@tchannel/frame";
import { destroyProbes, probe } from "../test/probe.js";
import { TChannel } from "./tchannel.js";

// Hand-built frames against a live server (spec §14.4, docs/known-hazards.md): each gets the
// protocol's answer, and the server keeps serving everyone else.

const open: TChannel[] = [];
afterEach(async () => {
  destroyProbes();
  await Promise.all(open.splice(0).map((c) => c.close()));
});

async function server(options: { frameTimeout?: number; initTimeout?: number } = {}): Promise<{ ch: TChannel; hostPort: string }> {
  const ch = new TChannel({ name: "server", ...options });
  open.push(ch);
  ch.raw.register("echo", (req) => req.body);
  return { ch, hostPort: await ch.listen() };
}

function callReq(id: number, over: { ttl?: number; endpoint?: string; headers?: Record<string, string> } = {}): Buffer {
  return encodeCallReq({
    id,
    ttl: over.ttl ?? 1000,
    tracing: EMPTY_TRACING,
    service: "server",
    headers: over.headers ?? { cn: "probe", as: "raw" },
    checksumType: ChecksumType.Crc32C,
    args: [Buffer.from(over.endpoint ?? "echo"), Buffer.alloc(0), Buffer.from("hi")],
  });
}

async function stillServes(hostPort: string): Promise<void> {
  const client = new TChannel({ name: "client" });
  open.push(client);
  const res = await client.raw({ service: "server", endpoint: "echo", body: Buffer.from("ok"), hostPort });
  expect(res.body.toString()).toBe("ok");
}

describe("a server under bad input", () => {
  it("answers init with its host_port, process name and version 2, echoing the id", async () => {
    const { hostPort } = await server();
    const p = await probe(hostPort);
    await p.handshake();
    const res = p.frames[0] as InitFrame;
    expect(res).toMatchObject({ type: FrameType.InitRes, id: 1, version: 2 });
    expect(res.headers.host_port).toBe(hostPort);
    expect(res.headers.process_name).toMatch(/\[\d+\]$/);
    // Our real version (tchannel-go and -node log it), not a placeholder.
    const { version } = JSON.parse(readFileSync(new URL("../package.json", `file://${__filename}`), "utf8")) as { version: string };
    expect(res.headers.tchannel_version).toBe(version);
    expect(res.headers.tchannel_language).toBe("node");
  });

  it("serves a hand-built call and answers a ping with the same id", async () => {
    const { hostPort } = await server();
    const p = await probe(hostPort);
    await p.handshake();
    p.send(callReq(5));
    p.send(encodeFrame({ type: FrameType.PingReq, id: 33 }));
    await p.until(() => p.frames.length >= 3);
    expect(p.frames.find((f) => f.type === FrameType.CallRes)).toMatchObject({ id: 5, code: 0, checksumType: ChecksumType.Crc32C });
    expect(p.frames.find((f) => f.type === FrameType.PingRes)).toMatchObject({ id: 33 });
  });

  it("closes a connection whose first frame is not init req (call before init, or an error frame with an unknown code)", async () => {
    const { hostPort } = await server();
    const a = await probe(hostPort);
    a.send(callReq(5));
    await a.until(() => a.closed);
    const b = await probe(hostPort);
    b.send(encodeFrame({ type: FrameType.Error, id: 1, code: 0x42, tracing: EMPTY_TRACING, message: "x" }));
    await b.until(() => b.closed);
    expect(b.frames.at(-1)).toMatchObject({ type: FrameType.Error, code: ErrorCode.FatalProtocol, id: NULL_ID });
    await stillServes(hostPort);
  });

  it("rejects an init req without host_port", async () => {
    const { hostPort } = await server();
    const p = await probe(hostPort);
    p.send(encodeFrame({ type: FrameType.InitReq, id: 1, version: 2, headers: { process_name: "probe" } }));
    await p.until(() => p.closed);
    expect(p.frames[0]).toMatchObject({ type: FrameType.Error, code: ErrorCode.FatalProtocol });
  });

  it("answers ttl 0, duplicate headers, a missing 'as' and an orphan continue with BadRequest for that id, and goes on", async () => {
    const { hostPort } = await server();
    const p = await probe(hostPort);
    await p.handshake();
    const ttl0 = callReq(5);
    ttl0.writeUInt32BE(0, 17);
    p.send(ttl0);
    const dup = callReq(6, { headers: { cn: "probe", as: "raw" } });
    dup.write("cn", dup.indexOf("as"), "latin1");
    p.send(dup);
    p.send(callReq(7, { headers: { cn: "probe" } }));
    p.send(encodeFrame({ type: FrameType.CallReqContinue, id: 8, flags: 0, checksumType: 0, args: [Buffer.from("x")] }));
    p.send(callReq(9));
    await p.until(() => p.frames.length >= 6);
    const byId = new Map(p.frames.map((f) => [f.id, f]));
    for (const id of [5, 6, 7, 8]) expect(byId.get(id)).toMatchObject({ type: FrameType.Error, code: ErrorCode.BadRequest });
    expect(byId.get(9)).toMatchObject({ type: FrameType.CallRes, code: 0 });
    expect(p.closed).toBe(false);
  });

  it("answers a checksum mismatch with BadRequest", async () => {
    const { hostPort } = await server();
    const p = await probe(hostPort);
    await p.handshake();
    const bad = callReq(5);
    bad[bad.length - 1] = bad[bad.length - 1]! ^ 0xff; // corrupt arg3, keep the checksum
    p.send(bad);
    await p.until(() => p.frames.length >= 2);
    const err = p.frames[1] as ErrorFrame;
    expect(err).toMatchObject({ type: FrameType.Error, id: 5, code: ErrorCode.BadRequest });
    expect(err.message).toContain("checksum");
  });

  it("sends a fatal error and closes on an unknown frame type or a bad frame size", async () => {
    const { hostPort } = await server();
    const p = await probe(hostPort);
    await p.handshake();
    const unknown = encodeFrame({ type: FrameType.PingReq, id: 3 });
    unknown[2] = 0x42;
    p.send(unknown);
    await p.until(() => p.closed);
    expect(p.frames.at(-1)).toMatchObject({ type: FrameType.Error, code: ErrorCode.FatalProtocol, id: NULL_ID });
    const q = await probe(hostPort);
    await q.handshake();
    q.send(Buffer.from([0, 3, 0, 0]));
    await q.until(() => q.closed);
    expect(q.frames.at(-1)).toMatchObject({ type: FrameType.Error, code: ErrorCode.FatalProtocol });
    await stillServes(hostPort);
  });

  it("closes a connection that leaves a frame half-sent (known-hazards #4), and one that never sends init", async () => {
    const { hostPort } = await server({ frameTimeout: 200, initTimeout: 200 });
    const p = await probe(hostPort);
    await p.handshake();
    p.send(callReq(5).subarray(0, 20));
    await p.until(() => p.closed, 3000);
    const q = await probe(hostPort);
    await q.until(() => q.closed, 3000);
    await stillServes(hostPort);
  });

  it("closes a connection dribbling a frame a byte at a time: a deadline from the first byte, not an inactivity timer", async () => {
    const { hostPort } = await server({ frameTimeout: 300 });
    const p = await probe(hostPort);
    await p.handshake();
    const frame = callReq(5, { endpoint: "e".repeat(2000) });
    const started = performance.now();
    let i = 0;
    // One byte every 50 ms: an inactivity timer of 300 ms would never fire.
    const dribble = setInterval(() => {
      if (!p.closed && i < frame.length) p.send(frame.subarray(i, ++i));
    }, 50);
    try {
      await p.until(() => p.closed, 5000);
    } finally {
      clearInterval(dribble);
    }
    const took = performance.now() - started;
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(3000);
    expect(p.frames.at(-1)).toMatchObject({ type: FrameType.Error, code: ErrorCode.FatalProtocol });
    // Frames that arrive whole, however many and however spread out, are fine.
    const q = await probe(hostPort);
    await q.handshake();
    for (let id = 10; id < 14; id++) {
      q.send(callReq(id));
      await new Promise((r) => setTimeout(r, 120));
    }
    await q.until(() => q.frames.filter((f) => f.type === FrameType.CallRes).length === 4);
    expect(q.closed).toBe(false);
  });

  it("ignores a cancel or claim for an unknown id and a late call res", async () => {
    const { hostPort } = await server();
    const p = await probe(hostPort);
    await p.handshake();
    p.send(encodeFrame({ type: FrameType.Cancel, id: 77, ttl: 0, tracing: EMPTY_TRACING, why: "x" }));
    p.send(encodeFrame({ type: FrameType.Claim, id: 78, ttl: 0, tracing: EMPTY_TRACING }));
    p.send(encodeFrame({ type: FrameType.CallRes, id: 79, flags: 0, code: 0, tracing: EMPTY_TRACING, headers: { as: "raw" }, checksumType: 0, args: [Buffer.alloc(0), Buffer.alloc(0), Buffer.alloc(0)] }));
    p.send(callReq(5));
    await p.until(() => p.frames.some((f) => f.id === 5));
    expect(p.closed).toBe(false);
  });

  it("answers a cancel of a call in progress with error 0x02 Cancelled for its id (spec §10) and aborts the handler", async () => {
    const ch = new TChannel({ name: "server" });
    open.push(ch);
    let aborted = false;
    ch.raw.register("hang", (req) => {
      req.signal.addEventListener("abort", () => (aborted = true));
      return new Promise(() => {});
    });
    const p = await probe(await ch.listen());
    await p.handshake();
    p.send(callReq(5, { endpoint: "hang" }));
    await new Promise((r) => setTimeout(r, 50));
    p.send(encodeFrame({ type: FrameType.Cancel, id: 5, ttl: 0, tracing: EMPTY_TRACING, why: "caller gave up" }));
    await p.until(() => p.frames.some((f) => f.id === 5));
    expect(p.frames.find((f) => f.id === 5)).toMatchObject({ type: FrameType.Error, code: ErrorCode.Cancelled });
    expect(aborted).toBe(true);
    // Answered once: a second cancel for the same id gets nothing.
    p.send(encodeFrame({ type: FrameType.Cancel, id: 5, ttl: 0, tracing: EMPTY_TRACING, why: "again" }));
    p.send(callReq(6));
    await p.until(() => p.frames.some((f) => f.id === 6));
    expect(p.frames.filter((f) => f.id === 5)).toHaveLength(1);
  });
});

/**
 * A stand-in peer on a raw socket: answers init req (with its own listening host:port) and ping
 * req, records the init reqs it got, and lets a test add frames after the init res.
 */
async function fakePeer(afterInit: (socket: Socket) => void = () => {}) {
  const net = await import("node:net");
  const accepted: Socket[] = [];
  const inits: InitFrame[] = [];
  let hostPort = "";
  const server = net.createServer((s) => {
    accepted.push(s);
    const decoder = new FrameDecoder();
    s.on("data", (d) => {
      for (const f of decoder.push(d)) {
        if (f.type === FrameType.InitReq) {
          inits.push(f as InitFrame);
          s.write(encodeFrame({ type: FrameType.InitRes, id: f.id, version: 2, headers: { host_port: hostPort, process_name: "fake" } }));
          afterInit(s);
        } else if (f.type === FrameType.PingReq) {
          s.write(encodeFrame({ type: FrameType.PingRes, id: f.id }));
        }
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  hostPort = `127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    hostPort,
    accepted,
    inits,
    close(): void {
      server.close();
      for (const s of accepted) s.destroy();
    },
  };
}

describe("connection-level notices", () => {
  it("keeps a connection open on a Declined error frame with id 0xffffffff (Hyperbahn's drain notice)", async () => {
    const peer = await fakePeer((s) =>
      s.write(encodeFrame({ type: FrameType.Error, id: NULL_ID, code: ErrorCode.Declined, tracing: EMPTY_TRACING, message: "draining: closing due to unadvertisement" })),
    );
    try {
      const client = new TChannel({ name: "client" });
      open.push(client);
      await client.ping(peer.hostPort);
      await new Promise((r) => setTimeout(r, 50));
      expect(peer.accepted.length).toBe(1);
      // The drained connection stays open, but the next call opens a new one.
      await client.ping(peer.hostPort);
      expect(peer.accepted.length).toBe(2);
      expect(peer.accepted[0]!.destroyed).toBe(false);
    } finally {
      peer.close();
    }
  });
});

describe("a client's handshake", () => {
  it("announces 0.0.0.0:0 when it does not listen, and its listening host:port when it does (spec §4)", async () => {
    const net = await import("node:net");
    const inits: Frame[] = [];
    const fake = net.createServer((s) => {
      const decoder = new FrameDecoder();
      s.on("data", (d) => {
        for (const f of decoder.push(d)) {
          inits.push(f);
          s.write(encodeFrame({ type: FrameType.InitRes, id: f.id, version: 2, headers: { host_port: "127.0.0.1:9", process_name: "fake" } }));
        }
      });
    });
    await new Promise<void>((r) => fake.listen(0, "127.0.0.1", () => r()));
    const hostPort = `127.0.0.1:${(fake.address() as { port: number }).port}`;
    const quiet = new TChannel({ name: "quiet", processName: "quiet-proc" });
    const loud = new TChannel({ name: "loud" });
    open.push(quiet, loud);
    await quiet.ping(hostPort).catch(() => {});
    const loudHostPort = await loud.listen();
    await loud.ping(hostPort).catch(() => {});
    fake.close();
    const [a, b] = inits.filter((f) => f.type === FrameType.InitReq) as InitFrame[];
    expect(a).toMatchObject({ id: 1, version: 2 });
    expect(a!.headers).toMatchObject({ host_port: "0.0.0.0:0", process_name: "quiet-proc", tchannel_language: "node" });
    expect(b!.headers.host_port).toBe(loudHostPort);
  });
});

describe("listening after calling", () => {
  it("opens a new connection that announces the listening host:port for calls after listen()", async () => {
    const peer = await fakePeer();
    try {
      const client = new TChannel({ name: "late-listener" });
      open.push(client);
      await client.ping(peer.hostPort);
      await client.ping(peer.hostPort);
      expect(peer.inits.map((f) => f.headers.host_port)).toEqual(["0.0.0.0:0"]);
      const listening = await client.listen();
      await client.ping(peer.hostPort);
      await client.ping(peer.hostPort);
      expect(peer.inits.map((f) => f.headers.host_port)).toEqual(["0.0.0.0:0", listening]);
    } finally {
      peer.close();
    }
  });
});

describe("a client under bad input", () => {
  it("fails the call with a typed error when the server answers garbage, and survives", async () => {
    const net = await import("node:net");
    const evil = net.createServer((s) => {
      s.once("data", () => {
        s.write(encodeFrame({ type: FrameType.InitRes, id: 1, version: 2, headers: { host_port: "127.0.0.1:1", process_name: "evil" } }));
        s.once("data", () => s.write(Buffer.from([0, 20, 0x42, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4])));
      });
    });
    await new Promise<void>((r) => evil.listen(0, "127.0.0.1", () => r()));
    const port = (evil.address() as { port: number }).port;
    const client = new TChannel({ name: "client" });
    open.push(client);
    const err = await client.raw({ service: "s", endpoint: "e", hostPort: `127.0.0.1:${port}`, retryLimit: 0 }).catch((e) => e);
    expect(err.code).toBe("TCHANNEL_FATAL");
    evil.close();
  });
});
