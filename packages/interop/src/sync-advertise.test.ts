import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { type ChildProcess, spawn } from "node:child_process";
import { DeclinedError, Response, SyncTChannel, SyncWorkerError, thrift } from "tchannel-ts";
import { type HyperbahnCluster, type HyperbahnService, callThroughHyperbahnWithNode, ensureHyperbahnInstalled, pollUntil, startHyperbahnCluster, startNodeServiceOnHyperbahn } from "./hyperbahn.js";
import { KEYVALUE_THRIFT, PACKAGE_DIR, ensurePeersInstalled } from "./peers.js";

// tchannel-ts's SyncTChannel.advertise (@tchannel/sync's worker running @tchannel/hyperbahn's sync
// extension) against a real 2-node Hyperbahn 2.20.1 mesh with a short reap period. The services
// the sync client calls run in other processes (a tchannel-node 4.0.1 service and a tchannel-ts
// keyvalue server, both advertised): a sync call blocks this thread, so a server here could never answer.
// The sync client serves nothing, so tchannel-node calling it through a router gets our worker's
// "no such endpoint" answer: proof the routers send its traffic to the worker.

const REAP_MS = 1500;
const INTERVAL_MS = 400;
const SYNC_SVC = "hb-sync-client";
const NODE_SVC = "hb-sync-node-echo";
const NODE_KV = "hb-sync-node-kv";
const TS_KV = "hb-sync-ts-kv";

let cluster: HyperbahnCluster | undefined;
let nodeSvc: HyperbahnService | undefined;
let tsServer: ChildProcess | undefined;
const syncClients: SyncTChannel[] = [];

function routers(): string[] {
  return cluster!.routers;
}

function syncClient(name: string): SyncTChannel {
  const client = new SyncTChannel({ name, timeout: 5000 });
  syncClients.push(client);
  return client;
}

/**
 * A tchannel-ts keyvalue server in its own process (built tchannel-ts), advertised and
 * re-advertising well inside the reap period; resolves once it has advertised; stdin's end stops it.
 */
function startTsServer(): Promise<ChildProcess> {
  const script = `
    import { TChannel, thrift } from "tchannel-ts";
    const channel = new TChannel({ name: ${JSON.stringify(TS_KV)} });
    const kv = await thrift.load(${JSON.stringify(KEYVALUE_THRIFT)}, { service: ${JSON.stringify(TS_KV)} });
    const values = new Map();
    channel.thrift.register(kv.KeyValue, "getValue", (req) => {
      const value = values.get(req.body.key);
      if (value === undefined) throw new kv.NotFoundError({ key: req.body.key });
      return value;
    });
    channel.thrift.register(kv.KeyValue, "setValue", (req) => void values.set(req.body.key, req.body.value));
    await channel.advertise({ routers: ${JSON.stringify(routers())}, interval: ${INTERVAL_MS} });
    console.log("Advertised on Hyperbahn");
    process.stdin.resume();
    process.stdin.on("end", () => channel.close().then(() => process.exit(0)));`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { cwd: PACKAGE_DIR, stdio: ["pipe", "pipe", "pipe"] });
  return new Promise((resolveStart, reject) => {
    let out = "";
    let err = "";
    const timer = setTimeout(() => reject(new Error(`keyvalue server did not advertise:\n${out}\n${err}`)), 20_000);
    child.stderr!.on("data", (d) => (err += d));
    child.stdout!.on("data", (d) => {
      out += d;
      if (out.includes("Advertised on Hyperbahn")) {
        clearTimeout(timer);
        resolveStart(child);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`keyvalue server exited with ${code}:\n${out}\n${err}`));
    });
  });
}

/** tchannel-node, through one router, calling the sync client's service (which serves nothing). */
async function nodeCallsSyncService(router: string): Promise<string> {
  const r = await callThroughHyperbahnWithNode({ routers: [router], service: SYNC_SVC, endpoint: "echo", body: "x", retryFlags: "n", timeout: 2000 });
  expect(r.ok).toBe(false);
  return r.error?.message ?? JSON.stringify(r);
}
const REACHED_WORKER = `no such endpoint service="${SYNC_SVC}" endpoint="echo"`;

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected a throw");
}

beforeAll(async () => {
  ensurePeersInstalled();
  ensureHyperbahnInstalled();
  cluster = await startHyperbahnCluster({ nodes: 2, reapMs: REAP_MS });
  nodeSvc = await startNodeServiceOnHyperbahn({ routers: cluster.routers, service: NODE_SVC, thriftKeyValue: NODE_KV, advertiseIntervalMs: INTERVAL_MS });
  tsServer = await startTsServer();
}, 900_000);

afterAll(async () => {
  for (const client of syncClients) client.close();
  if (tsServer && tsServer.exitCode === null) {
    const exited = new Promise((r) => tsServer!.once("exit", r));
    tsServer.stdin!.end();
    await exited;
  }
  await nodeSvc?.stop();
  await cluster?.stop();
}, 60_000);

describe("SyncTChannel.advertise on a real Hyperbahn", () => {
  let sync: SyncTChannel;

  it("blocks until a router accepts and returns its Response: both routers are exit nodes", () => {
    sync = syncClient(SYNC_SVC);
    const response = sync.advertise({ routers: routers(), interval: INTERVAL_MS });
    expect(response).toBeInstanceOf(Response);
    expect(response.status).toBe(0);
    expect(response.body).toEqual({ connectionCount: 2 });
  });

  it("routes tchannel-node's calls for its service to the sync worker, through either router", async () => {
    for (const router of routers()) expect(await nodeCallsSyncService(router)).toContain(REACHED_WORKER);
  });

  it("then carries calls without hostPort through the routers: tchannel-node raw/json/thrift and a tchannel-ts server", () => {
    const raw = sync.raw({ service: NODE_SVC, endpoint: "echo", headers: Buffer.from("h"), body: Buffer.from("sync via hyperbahn") });
    expect(raw.body.toString()).toBe("sync via hyperbahn");
    expect(raw.headers.toString()).toBe("h");
    expect(routers()).toContain(raw.transport.hostPort); // answered over a router connection
    expect(sync.json({ service: NODE_SVC, endpoint: "add", body: { a: 2, b: 40 } }).body).toEqual({ sum: 42 });

    const nodeKv = thrift.loadSync(KEYVALUE_THRIFT, { service: NODE_KV });
    sync.thrift(nodeKv.KeyValue.setValue({ key: "k", value: "from sync" }));
    expect(sync.thrift(nodeKv.KeyValue.getValue({ key: "k" })).body).toBe("from sync");
    expect(thrown(() => sync.thrift(nodeKv.KeyValue.getValue({ key: "absent" })))).toBeInstanceOf(nodeKv.NotFoundError);

    const tsKv = thrift.loadSync(KEYVALUE_THRIFT, { service: TS_KV });
    sync.thrift(tsKv.KeyValue.setValue({ key: "foo", value: "Hello, world!" }));
    const got = sync.thrift(tsKv.KeyValue.getValue({ key: "foo" }));
    expect(got.body).toBe("Hello, world!");
    expect(routers()).toContain(got.transport.hostPort);
    expect(thrown(() => sync.thrift(tsKv.KeyValue.getValue({ key: "absent" })))).toBeInstanceOf(tsKv.NotFoundError);
  });

  it(`keeps re-advertising while the calling thread is blocked for longer than the reap period (${REAP_MS} ms)`, async () => {
    // One sync call that keeps this thread in Atomics.wait for ~3 reap periods; the worker's
    // re-advertisements go on meanwhile, so the routers still send the service to it.
    const slow = sync.raw({ service: NODE_SVC, endpoint: "slow", body: Buffer.from(String(3 * REAP_MS)), timeout: 3 * REAP_MS + 3000 });
    expect(slow.body.toString()).toBe(String(3 * REAP_MS));
    for (const router of routers()) expect(await nodeCallsSyncService(router)).toContain(REACHED_WORKER);
  }, 30_000);

  it("advertises again from a restarted worker (a new listening port)", async () => {
    sync._crashWorker();
    await new Promise((r) => setTimeout(r, 200));
    expect(thrown(() => sync.raw({ service: NODE_SVC, endpoint: "echo" }))).toBeInstanceOf(SyncWorkerError);
    // The next call starts a worker, which advertises before it makes the call.
    expect(sync.raw({ service: NODE_SVC, endpoint: "echo", body: Buffer.from("again") }).body.toString()).toBe("again");
    expect(sync._workerStarts).toBe(2);
    // The dead worker's port is reaped; the routers reach the new one.
    const reached = await pollUntil(() => nodeCallsSyncService(routers()[0]!), (m) => m.includes(REACHED_WORKER), { timeoutMs: 4 * REAP_MS + 5000, intervalMs: 200 });
    expect(reached.accepted).toBe(true);
  }, 30_000);

  it("close() unadvertises without hanging; the routers then decline the service", async () => {
    const started = performance.now();
    sync.close();
    expect(performance.now() - started).toBeLessThan(3000);
    const gone = await pollUntil(() => nodeCallsSyncService(routers()[0]!), (m) => m.includes("no peer available"), { timeoutMs: 5000, intervalMs: 100 });
    expect(gone.accepted).toBe(true);
  }, 30_000);
});

describe("SyncTChannel knowing only the routers", () => {
  it("calls through them with setRouters, and a service nobody advertised is DeclinedError", () => {
    const client = syncClient("hb-sync-router-only");
    client.setRouters(routers());
    expect(client.raw({ service: NODE_SVC, endpoint: "echo", body: Buffer.from("r") }).body.toString()).toBe("r");
    const tsKv = thrift.loadSync(KEYVALUE_THRIFT, { service: TS_KV });
    expect(client.thrift(tsKv.KeyValue.getValue({ key: "foo" })).body).toBe("Hello, world!");
    const err = thrown(() => client.raw({ service: "hb-sync-nobody", endpoint: "echo", retryLimit: 1 }));
    expect(err).toBeInstanceOf(DeclinedError);
    expect((err as Error).message).toContain("no peer available");
  });
});

describe("an advertised SyncTChannel and process exit", () => {
  it("does not hold its process open: a script that advertises and never closes exits at once", async () => {
    const script = [
      `import { SyncTChannel } from "tchannel-ts";`,
      `const sync = new SyncTChannel({ name: "hb-sync-exit" });`,
      `console.log(JSON.stringify(sync.advertise({ routers: ${JSON.stringify(routers())} }).body));`,
    ].join("\n");
    const started = performance.now();
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { cwd: PACKAGE_DIR, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    const code = await new Promise<number | null>((r) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        r(null);
      }, 15_000);
      child.once("exit", (c) => {
        clearTimeout(timer);
        r(c);
      });
    });
    expect({ code, err }).toEqual({ code: 0, err: "" });
    expect(JSON.parse(out)).toEqual({ connectionCount: 2 });
    expect(performance.now() - started).toBeLessThan(10_000);
  }, 30_000);
});
