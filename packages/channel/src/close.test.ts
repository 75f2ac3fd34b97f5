import { afterEach, describe, expect, it } from "@jest/globals";
import { ChannelClosedError } from "./errors.js";
import { TChannel } from "./tchannel.js";
import type { TChannelOptions } from "./options.js";

// Graceful close with calls in flight (issue 15 item 1) and reuse of a dialled connection (item 3).

const open: TChannel[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

function channel(options: TChannelOptions): TChannel {
  const ch = new TChannel(options);
  open.push(ch);
  return ch;
}

async function waitFor(condition: () => boolean, ms = 10_000): Promise<void> {
  const end = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

function tcpSockets(): number {
  return process.getActiveResourcesInfo().filter((r) => r === "TCPSocketWrap").length;
}

/** A server whose "slow" handler counts its runs and answers after `ms`. */
async function slowServer(ms: number): Promise<{ hostPort: string; runs: () => number; callers: Set<string>; server: TChannel }> {
  const server = channel({ name: "server" });
  let runs = 0;
  // The callers' socket addresses (they do not listen): one per connection that reached us.
  const callers = new Set<string>();
  server.register("slow", "raw", async (call) => {
    runs++;
    callers.add(call.remoteHostPort);
    await new Promise((r) => setTimeout(r, ms));
    return { ok: true, arg2: call.arg2, arg3: call.arg3 };
  });
  const hostPort = await server.listen();
  return { hostPort, runs: () => runs, callers, server };
}

describe("close() with calls in flight", () => {
  it("lets calls in flight finish, runs each once, retries nothing and refuses new calls", async () => {
    const { hostPort, runs } = await slowServer(200);
    const client = channel({ name: "client" });
    const calls = Array.from({ length: 5 }, (_, i) => client.raw({ service: "server", endpoint: "slow", body: Buffer.from(`c${i}`), hostPort }));
    await waitFor(() => runs() === 5);
    const closing = client.close();
    await expect(client.raw({ service: "server", endpoint: "slow", hostPort })).rejects.toBeInstanceOf(ChannelClosedError);
    const results = await Promise.all(calls);
    expect(results.map((r) => r.body.toString())).toEqual(["c0", "c1", "c2", "c3", "c4"]);
    await closing;
    expect(runs()).toBe(5);
    await new Promise((r) => setTimeout(r, 300));
    expect(runs()).toBe(5);
  });

  it("after drainTimeout fails what is left with ChannelClosedError, never retried and never reconnected", async () => {
    const { hostPort, runs, callers } = await slowServer(3000);
    const before = tcpSockets();
    const client = channel({ name: "client", drainTimeout: 100 });
    const calls = Array.from({ length: 5 }, () => client.raw({ service: "server", endpoint: "slow", hostPort }).catch((e: unknown) => e));
    await waitFor(() => runs() === 5);
    const started = performance.now();
    await client.close();
    const errors = await Promise.all(calls);
    for (const e of errors) expect(e).toBeInstanceOf(ChannelClosedError);
    // Well before the handlers' 3 s: close() did not wait for them.
    expect(performance.now() - started).toBeLessThan(2500);
    // close() resolved once its socket was destroyed; the server's end follows at once.
    await new Promise((r) => setTimeout(r, 100));
    expect(tcpSockets()).toBeLessThanOrEqual(before);
    // Past the handlers' answers: nothing ran again, nothing reconnected.
    await new Promise((r) => setTimeout(r, Math.max(0, started + 3100 - performance.now())));
    expect(runs()).toBe(5);
    expect(callers.size).toBe(1);
  }, 15_000);

  it("a second close() resolves when the first finishes, not before", async () => {
    const { hostPort, runs } = await slowServer(200);
    const client = channel({ name: "client" });
    const call = client.raw({ service: "server", endpoint: "slow", hostPort });
    await waitFor(() => runs() === 1);
    const order: string[] = [];
    const first = client.close().then(() => order.push("first"));
    const second = client.close().then(() => order.push("second"));
    void call.then(() => order.push("call"));
    await Promise.all([first, second]);
    expect(order).toEqual(["call", "first", "second"]);
  });

  it("a closing server declines new calls, answers calls in flight once, and both processes' sockets end", async () => {
    const { hostPort, runs, server } = await slowServer(200);
    const before = tcpSockets();
    const client = channel({ name: "client" });
    const inFlight = client.raw({ service: "server", endpoint: "slow", hostPort, retryOn: "c" });
    await waitFor(() => runs() === 1);
    const closing = server.close();
    expect((await inFlight).body.length).toBe(0);
    await closing;
    expect(runs()).toBe(1);
    await client.close();
    expect(tcpSockets()).toBeLessThanOrEqual(before);
  });
});

describe("the connection a call dialled", () => {
  it("is reused when the peer announces another address (localhost vs 127.0.0.1)", async () => {
    const { hostPort, runs, callers } = await slowServer(0);
    const port = hostPort.split(":")[1];
    const before = tcpSockets();
    const client = channel({ name: "client" });
    for (let i = 0; i < 20; i++) await client.raw({ service: "server", endpoint: "slow", hostPort: `localhost:${port}` });
    expect(runs()).toBe(20);
    // Every call came over one connection (before: one per call, none closed until close()).
    expect(callers.size).toBe(1);
    await client.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(tcpSockets()).toBeLessThanOrEqual(before);
  });
});
