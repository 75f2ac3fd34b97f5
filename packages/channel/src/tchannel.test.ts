import { afterEach, describe, expect, it } from "@jest/globals";
import { ChecksumType, decodeTracing } from "@tchannel/frame";
import {
  AlreadyListeningError,
  BadRequestError,
  BusyError,
  CancelledError,
  ChannelClosedError,
  DeclinedError,
  NetworkError,
  NoAvailablePeerError,
  TimeoutError,
  UnexpectedError,
} from "./errors.js";
import { currentRequestContext } from "./request-context.js";
import { Response } from "./scheme.js";
import { TChannel } from "./tchannel.js";

const open: TChannel[] = [];
function channel(name: string, options: Partial<ConstructorParameters<typeof TChannel>[0]> = {}): TChannel {
  const ch = new TChannel({ name, ...options });
  open.push(ch);
  return ch;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

async function echoServer(name = "server"): Promise<{ server: TChannel; hostPort: string }> {
  const server = channel(name);
  server.raw.register("echo", (req) => new Response(req.body, req.headers));
  const hostPort = await server.listen();
  return { server, hostPort };
}

describe("TChannel raw calls", () => {
  it("listens on an ephemeral loopback port and answers a raw call", async () => {
    const { hostPort } = await echoServer();
    expect(hostPort).toMatch(/^127\.0\.0\.1:\d+$/);
    const client = channel("client");
    const res = await client.raw({ service: "server", endpoint: "echo", headers: Buffer.from("h"), body: Buffer.from("hello"), hostPort });
    expect(res.body.toString()).toBe("hello");
    expect(res.headers.toString()).toBe("h");
    expect(res.status).toBe(0);
    expect(res.transport.headers.as).toBe("raw");
    expect(res.transport.hostPort).toBe(hostPort);
  });

  it("listen is idempotent on the same port and refuses another", async () => {
    const { server, hostPort } = await echoServer();
    const port = Number(hostPort.split(":")[1]);
    expect(await server.listen(port)).toBe(hostPort);
    expect(await server.listen()).toBe(hostPort);
    await expect(server.listen(port === 65000 ? 65001 : 65000)).rejects.toBeInstanceOf(AlreadyListeningError);
    expect(server.isListening).toBe(true);
  });

  it("carries 300 KiB bodies both ways with every checksum type", async () => {
    const { hostPort } = await echoServer();
    const client = channel("client");
    const body = Buffer.alloc(300 * 1024);
    for (let i = 0; i < body.length; i++) body[i] = (i * 13) & 0xff;
    for (const checksumType of [ChecksumType.None, ChecksumType.Crc32, ChecksumType.Crc32C, ChecksumType.Farmhash32]) {
      const res = await client.raw({ service: "server", endpoint: "echo", body, hostPort, checksumType });
      expect(res.body.equals(body)).toBe(true);
    }
  });

  it("runs many concurrent calls over one connection", async () => {
    const { hostPort } = await echoServer();
    const client = channel("client");
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => client.raw({ service: "server", endpoint: "echo", body: Buffer.from(`m${i}`), hostPort })),
    );
    expect(results.map((r) => r.body.toString())).toEqual(Array.from({ length: 200 }, (_, i) => `m${i}`));
  });

  it("sends the application error status (code 0x01) and the transport details to the handler", async () => {
    const server = channel("server");
    server.raw.register("fail", (req) => new Response(Buffer.from(JSON.stringify(req.transport)), Buffer.from("e"), { status: 1 }));
    const hostPort = await server.listen();
    const res = await channel("client").raw({ service: "server", endpoint: "fail", hostPort, shardKey: "s1", routingDelegate: "rd1", retryOn: "ct" });
    expect(res.status).toBe(1);
    const transport = JSON.parse(res.body.toString());
    expect(transport).toMatchObject({ callerName: "client", scheme: "raw", shardKey: "s1", routingDelegate: "rd1", retryFlags: "ct" });
    expect(transport.ttl).toBeGreaterThan(29_000);
  });

  it("answers an unknown endpoint with BadRequest naming it", async () => {
    const { hostPort } = await echoServer();
    const err = await channel("client").raw({ service: "server", endpoint: "nope", hostPort }).catch((e) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err.message).toContain('endpoint="nope"');
    expect(err.message).toContain(`peer=${hostPort}`);
    expect(err.retry).toBe("not-retryable");
  });

  it("routes unknown endpoints to a fallback handler", async () => {
    const server = channel("server");
    server.setFallbackHandler((call) => ({ ok: true, arg2: Buffer.alloc(0), arg3: Buffer.from(`fallback:${call.endpoint}`) }));
    const hostPort = await server.listen();
    const res = await channel("client").raw({ service: "server", endpoint: "anything", hostPort });
    expect(res.body.toString()).toBe("fallback:anything");
  });

  it("answers a wrong scheme with BadRequest", async () => {
    const { hostPort } = await echoServer();
    const err = await channel("client").call({ service: "server", scheme: "json", arg1: "echo", hostPort }).catch((e) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err.message).toContain("Server expected a 'raw' but request is 'json'");
  });

  it("turns a throwing handler into UnexpectedError without a stack trace, and handler TChannelErrors into their code", async () => {
    const server = channel("server");
    server.raw.register("boom", () => {
      throw new Error("kaput");
    });
    server.raw.register("busy", async () => {
      throw new BusyError("too busy");
    });
    const hostPort = await server.listen();
    const client = channel("client");
    const err = await client.raw({ service: "server", endpoint: "boom", hostPort, retryOn: "n" }).catch((e) => e);
    expect(err).toBeInstanceOf(UnexpectedError);
    expect(err.message).toContain("kaput");
    expect(err.message).not.toMatch(/at .*\.ts:\d+/);
    const busy = await client.raw({ service: "server", endpoint: "busy", hostPort, retryLimit: 0 }).catch((e) => e);
    expect(busy).toBeInstanceOf(BusyError);
  });

  it("times out: the caller gets TimeoutError, the handler's signal aborts, the TTL on the wire is the time left", async () => {
    const server = channel("server");
    let aborted: Promise<unknown> | undefined;
    let seenTtl = 0;
    server.raw.register("slow", (req) => {
      seenTtl = req.transport.ttl;
      aborted = new Promise((resolve) => req.signal.addEventListener("abort", () => resolve(req.signal.reason)));
      return new Promise(() => {});
    });
    server.raw.register("echo", (req) => req.body);
    const hostPort = await server.listen();
    const client = channel("client");
    // Connected first, so that on a loaded machine the timeout is not spent before the handler runs.
    await client.raw({ service: "server", endpoint: "echo", hostPort });
    const started = Date.now();
    const err = await client.raw({ service: "server", endpoint: "slow", hostPort, timeout: 500 }).catch((e) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(490);
    expect(err.message).toContain('endpoint="slow"');
    expect(seenTtl).toBeGreaterThan(0);
    expect(seenTtl).toBeLessThanOrEqual(500);
    expect(await aborted).toBeInstanceOf(CancelledError);
  });

  it("cancels with an AbortSignal: CancelledError for the caller, an aborted signal for the handler", async () => {
    const server = channel("server");
    let handlerAborted: Promise<void> | undefined;
    let entered!: () => void;
    const handlerEntered = new Promise<void>((resolve) => (entered = resolve));
    server.raw.register("wait", (req) => {
      handlerAborted = new Promise((resolve) => req.signal.addEventListener("abort", () => resolve()));
      entered();
      return new Promise(() => {});
    });
    const hostPort = await server.listen();
    const controller = new AbortController();
    const call = channel("client").raw({ service: "server", endpoint: "wait", hostPort, signal: controller.signal });
    await handlerEntered;
    controller.abort();
    await expect(call).rejects.toBeInstanceOf(CancelledError);
    await handlerAborted;
  });

  it("retries retryable errors on another peer, and not BadRequest", async () => {
    const busy = channel("busy-server");
    busy.raw.register("echo", () => {
      throw new BusyError("busy");
    }, { service: "svc" });
    const good = channel("good-server");
    good.raw.register("echo", (req) => req.body, { service: "svc" });
    const peers = [await busy.listen(), await good.listen()];
    const client = channel("client", { knownPeers: peers });
    for (let i = 0; i < 5; i++) {
      const res = await client.raw({ service: "svc", endpoint: "echo", body: Buffer.from("x") });
      expect(res.body.toString()).toBe("x");
    }
    const noRetry = await client.raw({ service: "svc", endpoint: "echo", retryOn: "n", hostPort: peers[0] }).catch((e) => e);
    expect(noRetry).toBeInstanceOf(BusyError);
  });

  it("fails with NoAvailablePeerError without peers, and NetworkError for a dead peer", async () => {
    const client = channel("client");
    await expect(client.raw({ service: "x", endpoint: "e" })).rejects.toBeInstanceOf(NoAvailablePeerError);
    const dead = channel("dead");
    const hostPort = await dead.listen();
    await dead.close();
    const err = await client.raw({ service: "x", endpoint: "e", hostPort, retryLimit: 1 }).catch((e) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect(err.message).toContain(hostPort);
  });

  it("routes calls without hostPort through the routers when it has no known peers", async () => {
    const router = channel("router");
    router.raw.register("who", () => Buffer.from("router"), { service: "svc" });
    const known = channel("known");
    known.raw.register("who", () => Buffer.from("known"), { service: "svc" });
    const routerHostPort = await router.listen();
    const knownHostPort = await known.listen();
    const client = channel("client");
    client.setRouters([routerHostPort]);
    expect(client.routers).toEqual([routerHostPort]);
    expect((await client.raw({ service: "svc", endpoint: "who" })).body.toString()).toBe("router");
    client.addPeer(knownHostPort);
    expect((await client.raw({ service: "svc", endpoint: "who" })).body.toString()).toBe("known");
    const other = channel("other");
    other.setRouters([routerHostPort]);
    other.setRouters([]);
    await expect(other.raw({ service: "svc", endpoint: "who" })).rejects.toBeInstanceOf(NoAvailablePeerError);
  });

  it("answers pings", async () => {
    const { hostPort } = await echoServer();
    const rtt = await channel("client").ping(hostPort);
    expect(rtt).toBeGreaterThanOrEqual(0);
  });

  it("reuses an inbound connection to call back the peer that opened it", async () => {
    const { server, hostPort } = await echoServer();
    const client = channel("client");
    client.raw.register("back", () => Buffer.from("called back"));
    const clientHostPort = await client.listen();
    await client.raw({ service: "server", endpoint: "echo", hostPort });
    const res = await server.raw({ service: "client", endpoint: "back", hostPort: clientHostPort });
    expect(res.body.toString()).toBe("called back");
  });

  it("propagates tracing and the remaining deadline to calls made inside a handler", async () => {
    const { hostPort: downstream } = await echoServer("down");
    const mid = channel("mid");
    mid.raw.register("relay", async (req) => {
      const ctx = currentRequestContext()!;
      const res = await mid.raw({ service: "down", endpoint: "echo", body: Buffer.from(`${Math.round(ctx.deadline - performance.now())}`), hostPort: downstream, timeout: 60_000 });
      return res.body;
    });
    const midHostPort = await mid.listen();
    const res = await channel("client").raw({ service: "mid", endpoint: "relay", hostPort: midHostPort, timeout: 800 });
    expect(Number(res.body.toString())).toBeLessThanOrEqual(800);
    expect(Number(res.body.toString())).toBeGreaterThan(0);
  });

  it("closes gracefully: in-flight calls finish, new calls are declined, later calls fail fast", async () => {
    const server = channel("server", { drainTimeout: 2000 });
    let release!: () => void;
    let entered!: () => void;
    const handlerEntered = new Promise<void>((resolve) => (entered = resolve));
    server.raw.register("hold", () => {
      entered();
      return new Promise<Buffer>((resolve) => (release = () => resolve(Buffer.from("done"))));
    });
    server.raw.register("echo", (req) => req.body);
    const hostPort = await server.listen();
    const client = channel("client");
    const inFlight = client.raw({ service: "server", endpoint: "hold", hostPort });
    await handlerEntered;
    const closing = server.close();
    const declined = await client.raw({ service: "server", endpoint: "echo", hostPort, retryLimit: 0 }).catch((e) => e);
    expect(declined).toBeInstanceOf(DeclinedError);
    release();
    expect((await inFlight).body.toString()).toBe("done");
    await closing;
    await expect(server.raw({ service: "x", endpoint: "y", hostPort })).rejects.toBeInstanceOf(ChannelClosedError);
  });

  it("keeps 64 concurrent 256 KiB calls flowing without errors (backpressure, known-hazards #5)", async () => {
    const { hostPort } = await echoServer();
    const client = channel("client");
    const body = Buffer.alloc(256 * 1024, 7);
    const results = await Promise.all(Array.from({ length: 64 }, () => client.raw({ service: "server", endpoint: "echo", body, hostPort, retryOn: "n" })));
    for (const r of results) expect(r.body.equals(body)).toBe(true);
  });

  it("times out a handshake the peer never answers", async () => {
    const net = await import("node:net");
    const silent = net.createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", () => r()));
    const hostPort = `127.0.0.1:${(silent.address() as { port: number }).port}`;
    const err = await channel("client", { initTimeout: 100 }).raw({ service: "s", endpoint: "e", hostPort, timeout: 2000, retryLimit: 0 }).catch((e) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    silent.close();
  });

  it("reconnects to a peer that comes back after a failure", async () => {
    const probe = channel("probe");
    const hostPort = await probe.listen();
    await probe.close();
    const client = channel("client");
    await expect(client.raw({ service: "server", endpoint: "echo", hostPort, retryLimit: 0 })).rejects.toBeInstanceOf(NetworkError);
    const server = channel("server");
    server.raw.register("echo", (req) => req.body);
    await server.listen(Number(hostPort.split(":")[1]));
    const res = await client.raw({ service: "server", endpoint: "echo", body: Buffer.from("back"), hostPort });
    expect(res.body.toString()).toBe("back");
  });

  it("spends one TTL budget across all retries, each attempt carrying the time left", async () => {
    const ttls: number[] = [];
    const slow = async () => {
      const a = channel("slow-a");
      a.raw.register("e", (req) => {
        ttls.push(req.transport.ttl);
        return new Promise(() => {});
      }, { service: "svc" });
      return a.listen();
    };
    const peers = [await slow(), await slow(), await slow()];
    const client = channel("client", { knownPeers: peers });
    const started = Date.now();
    const err = await client.raw({ service: "svc", endpoint: "e", timeout: 600, retryOn: "t", retryLimit: 5 }).catch((e) => e);
    const elapsed = Date.now() - started;
    expect(err).toBeInstanceOf(TimeoutError);
    // Three attempts with a fresh 600 ms each would take 1,800 ms or more.
    expect(elapsed).toBeLessThan(1500);
    // The first attempt used the whole budget; nothing was left for another.
    expect(ttls.length).toBe(1);
    expect(ttls[0]).toBeLessThanOrEqual(600);
  });

  it("parents the spans of calls made inside a handler on the inbound call's trace", async () => {
    const seen: Uint8Array[] = [];
    const down = channel("down");
    down.register("leaf", "raw", (call) => {
      seen.push(call.tracing);
      return { ok: true, arg2: Buffer.alloc(0), arg3: Buffer.alloc(0) };
    });
    const downHostPort = await down.listen();
    const mid = channel("mid");
    mid.register("relay", "raw", async (call) => {
      seen.push(call.tracing);
      await mid.raw({ service: "down", endpoint: "leaf", hostPort: downHostPort });
      return { ok: true, arg2: Buffer.alloc(0), arg3: Buffer.alloc(0) };
    });
    const midHostPort = await mid.listen();
    await channel("client").raw({ service: "mid", endpoint: "relay", hostPort: midHostPort });
    const [inMid, inDown] = seen.map((t) => decodeTracing(t));
    expect(inDown!.traceId).toBe(inMid!.traceId);
    expect(inDown!.parentId).toBe(inMid!.spanId);
    expect(inDown!.spanId).not.toBe(inMid!.spanId);
    expect(inMid!.parentId).toBe(0n);
  });

  it("validates its options with clear errors", () => {
    expect(() => new TChannel({ name: "" })).toThrow();
    expect(() => new TChannel({ name: "a", knownPeers: ["nohostport"] })).toThrow("expected host:port");
  });
});
