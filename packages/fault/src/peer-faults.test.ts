import { afterEach, describe, expect, it } from "@jest/globals";
import { spawn } from "node:child_process";
import { ChannelClosedError, InvalidArgumentError, NetworkError, TChannel, TimeoutError } from "@tchannel/channel";
import { waitFor } from "./probe.js";
import { ServerProcess, fixture } from "./server-process.js";

// Peers killed, frozen and restarted; graceful close on both sides with calls in flight; the
// dialled address; bad arguments. Servers and some clients are real processes. Assertions are on
// behaviour; where time matters, margins are wide (a loaded 2-core CI machine).

const servers: ServerProcess[] = [];
const clients: TChannel[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.kill()));
});

async function server(options: Parameters<typeof ServerProcess.start>[0] = {}): Promise<ServerProcess> {
  const s = await ServerProcess.start(options);
  servers.push(s);
  return s;
}

function client(options: Partial<ConstructorParameters<typeof TChannel>[0]> = {}): TChannel {
  const c = new TChannel({ name: "fault-client", ...options });
  clients.push(c);
  return c;
}

function runNode(script: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fixture(script), ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${script} did not exit within 20 s (output: ${out})`));
    }, 20_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, out, ms: performance.now() - started });
    });
  });
}

const maxRuns = (runs: Record<string, number>) => Math.max(0, ...Object.values(runs));

describe("a peer killed, frozen, restarted", () => {
  it("SIGKILL mid-call: calls in flight fail with NetworkError at once; a restart on the same port serves again", async () => {
    const s = await server({ env: { SLOW_MS: "5000" } });
    const c = client();
    const calls = Array.from({ length: 20 }, (_, i) => c.raw({ service: "fault", endpoint: "slow", body: Buffer.from(`k${i}`), hostPort: s.hostPort, retryOn: "n" }).catch((e: unknown) => e));
    await waitFor(async () => Object.keys((await s.stats()).runs).length === 20);
    const killed = performance.now();
    s.signal("SIGKILL");
    const errors = await Promise.all(calls);
    expect(performance.now() - killed).toBeLessThan(3000);
    for (const e of errors) expect(e).toBeInstanceOf(NetworkError);

    const again = await server({ port: s.port });
    await waitFor(async () => (await c.raw({ service: "fault", endpoint: "echo", body: Buffer.from("back"), hostPort: again.hostPort, timeout: 1000 }).then(() => true, () => false)), 10_000);
    expect((await c.raw({ service: "fault", endpoint: "echo", body: Buffer.from("x"), hostPort: again.hostPort })).body.toString()).toBe("x");
  });

  it("SIGSTOP mid-call: with timeoutPerAttempt and retryOn 't' every call ends on the live peer within its timeout", async () => {
    const frozen = await server();
    const live = await server();
    const c = client({ knownPeers: [frozen.hostPort, live.hostPort] });
    // Both connected first, then one freezes with calls on it.
    for (let i = 0; i < 10; i++) await c.raw({ service: "fault", endpoint: "echo", body: Buffer.from(`warm${i}`), hostPort: i % 2 ? live.hostPort : frozen.hostPort });
    frozen.signal("SIGSTOP");
    const started = performance.now();
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => c.raw({ service: "fault", endpoint: "echo", body: Buffer.from(`s${i}`), timeout: 5000, timeoutPerAttempt: 300, retryOn: "t" }).then((r) => r.body.toString(), (e: unknown) => e)),
    );
    expect(results).toEqual(Array.from({ length: 40 }, (_, i) => `s${i}`));
    expect(performance.now() - started).toBeLessThan(5000);
    // Without a per-attempt timeout, a call to the frozen peer fails with TimeoutError, not later.
    const t = performance.now();
    const err = await c.raw({ service: "fault", endpoint: "echo", hostPort: frozen.hostPort, timeout: 300, retryOn: "t" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(performance.now() - t).toBeGreaterThanOrEqual(300);
    frozen.signal("SIGCONT");
    // Thawed, it serves again over the same connection.
    expect((await c.raw({ service: "fault", endpoint: "echo", body: Buffer.from("thawed"), hostPort: frozen.hostPort })).body.toString()).toBe("thawed");
  });

  it("a frozen peer does not hold a closing client: close() ends and the process can exit", async () => {
    const frozen = await server();
    const c = new TChannel({ name: "fault-client", drainTimeout: 200 });
    await c.raw({ service: "fault", endpoint: "echo", hostPort: frozen.hostPort });
    frozen.signal("SIGSTOP");
    const pending = c.raw({ service: "fault", endpoint: "echo", body: Buffer.alloc(8 * 1024 * 1024), hostPort: frozen.hostPort, retryOn: "c" }).catch((e: unknown) => e);
    const started = performance.now();
    await c.close();
    expect(performance.now() - started).toBeLessThan(5000);
    expect(await pending).toBeInstanceOf(ChannelClosedError);
    frozen.signal("SIGCONT");
  });
});

describe("graceful close with calls in flight", () => {
  it("client side: no call runs twice, nothing is retried, and the client process exits by itself", async () => {
    const s = await server({ env: { SLOW_MS: "300" } });
    const { code, out } = await runNode("close-client.mjs", [s.hostPort, "20"], { CLOSE_AFTER_MS: "100" });
    expect(code).toBe(0);
    const outcomes = JSON.parse(out) as string[];
    expect(outcomes).toHaveLength(20);
    for (const o of outcomes) expect(o === "ChannelClosedError" || o.startsWith("ok:call-")).toBe(true);
    await new Promise((r) => setTimeout(r, 500));
    const stats = await s.stats();
    expect(maxRuns(stats.runs)).toBeLessThanOrEqual(1);
    expect(stats.callers.length).toBeLessThanOrEqual(1);
  });

  it("client side, drainTimeout shorter than the calls: they fail ChannelClosedError, ran once, the process exits", async () => {
    const s = await server({ env: { SLOW_MS: "3000" } });
    const { code, out, ms } = await runNode("close-client.mjs", [s.hostPort, "10"], { CLOSE_AFTER_MS: "300", DRAIN_MS: "100" });
    expect(code).toBe(0);
    expect(ms).toBeLessThan(15_000);
    expect(new Set(JSON.parse(out) as string[])).toEqual(new Set(["ChannelClosedError"]));
    await new Promise((r) => setTimeout(r, 3500));
    const stats = await s.stats();
    expect(maxRuns(stats.runs)).toBe(1);
    expect(stats.callers).toHaveLength(1);
  });

  it("server side: calls in flight are answered once, new ones declined, and the server process exits by itself", async () => {
    const s = await server({ env: { SLOW_MS: "500" } });
    const c = client();
    const calls = Array.from({ length: 10 }, (_, i) => c.raw({ service: "fault", endpoint: "slow", body: Buffer.from(`g${i}`), hostPort: s.hostPort }).then((r) => r.body.toString(), (e: unknown) => e));
    await waitFor(async () => Object.keys((await s.stats()).runs).length === 10);
    const closed = s.close();
    expect(await Promise.all(calls)).toEqual(Array.from({ length: 10 }, (_, i) => `g${i}`));
    await closed;
    const exit = await Promise.race([s.exited, new Promise((r) => setTimeout(() => r("still running"), 10_000))]);
    expect(exit).toEqual({ code: 0, signal: null });
  });
});

describe("connections", () => {
  it("a call to localhost:PORT reuses its connection when the server announces 127.0.0.1:PORT", async () => {
    const s = await server();
    expect(s.hostPort.startsWith("127.0.0.1:")).toBe(true);
    const c = client();
    for (let i = 0; i < 50; i++) await c.raw({ service: "fault", endpoint: "echo", body: Buffer.from(`l${i}`), hostPort: `localhost:${s.port}` });
    const stats = await s.stats();
    expect(Object.keys(stats.runs)).toHaveLength(50);
    expect(stats.callers).toHaveLength(1);
  });
});

describe("wrong argument types from a JS caller", () => {
  it("every public entry point answers InvalidArgumentError at once, and the process exits", async () => {
    const s = await server();
    const { code, out } = await runNode("bad-args.mjs", [s.hostPort]);
    expect(code).toBe(0);
    const names = JSON.parse(out) as string[];
    expect(names.at(-1)).toBe("ok");
    expect(new Set(names.slice(0, -1))).toEqual(new Set([InvalidArgumentError.name]));
    const stats = await s.stats();
    // Only the good call reached the server.
    expect(Object.values(stats.runs).reduce((a, b) => a + b, 0)).toBe(1);
  });
});
