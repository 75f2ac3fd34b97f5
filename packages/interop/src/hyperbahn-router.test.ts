import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { writeFileSync } from "node:fs";
import {
  type FrameTap,
  type HyperbahnCallResult,
  type HyperbahnCluster,
  type HyperbahnService,
  type TapFrame,
  callThroughHyperbahnWithNode,
  ensureHyperbahnInstalled,
  pollUntil,
  startFrameTap,
  startHyperbahnCluster,
  startNodeServiceOnHyperbahn,
} from "./hyperbahn.js";
import { ensurePeersInstalled, ensureUberTcurlInstalled } from "./peers.js";

// Smoke test of the Hyperbahn harness (src/hyperbahn.ts): a real 2-node Hyperbahn 2.20.1 cluster
// with a short reap period, a tchannel-node 4.0.1 service advertised to it with tchannel-node's
// own HyperbahnClient, calls through each router with tchannel-node and Uber's tcurl, the error
// for an unknown service, the `ad` exchange as seen on the wire, what reaping does, and a router
// restart. What was observed is collected in `facts`; set HYPERBAHN_FACTS_FILE to write it as
// JSON, or HYPERBAHN_FACTS=1 to print it (the tests' own output stays short otherwise).

const REAP_MS = 1500;
const SVC = "hb-smoke-echo";
const TAPPED = "hb-smoke-tapped";
const UNKNOWN = "hb-smoke-no-such-service";

const facts: Record<string, unknown> = {};

let cluster: HyperbahnCluster | undefined;
let svc: HyperbahnService | undefined;
let tap: FrameTap | undefined;
let tapped: HyperbahnService | undefined;

beforeAll(async () => {
  ensurePeersInstalled();
  ensureUberTcurlInstalled();
  ensureHyperbahnInstalled();
  cluster = await startHyperbahnCluster({ nodes: 2, reapMs: REAP_MS });
  facts.clusterStartMs = cluster.startMs;
  // Re-advertises every 200-600 ms, well within the reap period.
  svc = await startNodeServiceOnHyperbahn({ routers: cluster.routers, service: SVC, advertiseIntervalMs: 400 });
}, 900_000);

afterAll(async () => {
  await Promise.all([svc?.stop(), tapped?.stop()]);
  await tap?.stop();
  await cluster?.stop();
  const text = JSON.stringify(facts, null, 1);
  if (process.env.HYPERBAHN_FACTS_FILE) writeFileSync(process.env.HYPERBAHN_FACTS_FILE, `${text}\n`);
  if (process.env.HYPERBAHN_FACTS === "1") console.log(`hyperbahn facts:\n${text}`);
}, 60_000);

function routersOf(): string[] {
  return cluster!.routers;
}

function echoOk(r: HyperbahnCallResult): boolean {
  return r.ok;
}

describe("Hyperbahn harness", () => {
  it("starts a ring of 2 routers and advertises a tchannel-node service to it", async () => {
    expect(cluster!.routers).toHaveLength(2);
    expect(cluster!.nodes.every((n) => n.running())).toBe(true);
    const first = svc!.advertisements()[0];
    // k = 10 exit nodes per service by default; on a 2-node ring both routers are exits.
    expect(first).toMatchObject({ service: SVC, hostPort: svc!.hostPort, count: 1, result: { connectionCount: 2 } });
    facts.adResponseBody = first?.result;
    // Each exit router opens its own connection to the advertised host:port (taken from the
    // init req's host_port: the ad body has none).
    const conns = await pollUntil(
      async () => svc!.connections(),
      (c) => routersOf().every((r) => c.some((x) => x.remoteName === r)),
      { timeoutMs: 5000, intervalMs: 100 },
    );
    expect(conns.accepted).toBe(true);
    facts.routerConnectionsBackToService = conns.result.map((c) => ({ remoteName: c.remoteName, socketRemoteAddr: c.socketRemoteAddr, msAfterFirstAd: c.at - first!.at }));
  });

  it("routes raw and json echo through each router with tchannel-node (HyperbahnClient.getClientChannel)", async () => {
    const inspected: unknown[] = [];
    for (const router of routersOf()) {
      const raw = await callThroughHyperbahnWithNode({ routers: [router], service: SVC, endpoint: "echo", headers: `h-${router}`, body: `b-${router}` });
      expect(raw).toMatchObject({ via: "node", ok: true, headers: `h-${router}`, body: `b-${router}` });
      const json = await callThroughHyperbahnWithNode({ routers: [router], service: SVC, endpoint: "echo", scheme: "json", headers: { k: "v" }, body: { n: 1, router } });
      expect(json).toMatchObject({ ok: true, headers: { k: "v" }, body: { n: 1, router } });
      const ins = await callThroughHyperbahnWithNode({ routers: [router], service: SVC, endpoint: "inspect" });
      expect(ins.ok).toBe(true);
      const seen = JSON.parse(String(ins.body));
      expect(seen.headers).toMatchObject({ as: "raw", cn: "hyperbahn-harness" });
      inspected.push({ via: router, headers: seen.headers, ttl: seen.ttl, checksumType: seen.checksumType, remoteName: seen.remoteName, connectionDirection: seen.connectionDirection });
    }
    facts.relayedCallAsSeenByService = inspected;
  });

  it("routes raw and json echo through the routers with Uber's tcurl (-P hosts.json)", async () => {
    const all = await callThroughHyperbahnWithNode({ via: "tcurl", routers: routersOf(), service: SVC, endpoint: "echo", body: "via tcurl -P" });
    expect(all).toMatchObject({ via: "tcurl", ok: true, body: "via tcurl -P" });
    for (const router of routersOf()) {
      const json = await callThroughHyperbahnWithNode({ via: "tcurl", routers: [router], service: SVC, endpoint: "echo", scheme: "json", headers: { h: "1" }, body: { router } });
      expect(json).toMatchObject({ ok: true, headers: { h: "1" }, body: { router } });
      expect(json.tcurl?.code).toBe(0);
    }
  });

  it("answers a call for an unknown service with an error frame (recorded)", async () => {
    const byNode = [];
    for (const router of routersOf()) {
      const r = await callThroughHyperbahnWithNode({ routers: [router], service: UNKNOWN, endpoint: "echo", body: "x", retryFlags: "n" });
      expect(r.ok).toBe(false);
      expect(r.error).toMatchObject({ code: 4, codeName: "Declined", message: "no peer available for request" });
      byNode.push(r.error);
    }
    // tchannel-node's default retry flags ("c") retry Declined on the other router: same answer.
    const retried = await callThroughHyperbahnWithNode({ routers: routersOf(), service: UNKNOWN, endpoint: "echo", body: "x" });
    expect(retried.error).toMatchObject({ code: 4, message: "no peer available for request" });
    const tc = await callThroughHyperbahnWithNode({ via: "tcurl", routers: routersOf(), service: UNKNOWN, endpoint: "echo", scheme: "json", body: {} });
    expect(tc.error).toMatchObject({ code: 4, codeName: "Declined", message: "no peer available for request" });
    expect(tc.tcurl?.code).toBe(4);
    facts.unknownService = {
      node: byNode[0],
      tcurlExitCode: tc.tcurl?.code,
      tcurlStdout: tc.tcurl?.stdout.trim(),
      tcurlStderr: tc.tcurl?.stderr.split("\n").filter((l) => l && !/YAB IS THE NEW TCURL/.test(l)),
    };
  });

  it("shows the ad exchange on the wire (a frame tap in front of router 0)", async () => {
    tap = await startFrameTap(routersOf()[0]!);
    tapped = await startNodeServiceOnHyperbahn({ routers: [tap.hostPort], service: TAPPED, advertiseIntervalMs: 400 });
    const frames = tap.frames();
    const initReq = frames.find((f) => f.dir === "c2s" && f.type === "InitReq");
    const initRes = frames.find((f) => f.dir === "s2c" && f.type === "InitRes");
    expect(initReq?.headers?.host_port).toBe(tapped.hostPort);
    const adReq = frames.find((f) => f.dir === "c2s" && f.type === "CallReq" && f.service === "hyperbahn" && f.args?.[0] === "ad");
    expect(adReq).toBeDefined();
    const adRes = frames.find((f) => f.dir === "s2c" && f.type === "CallRes" && f.conn === adReq!.conn && f.id === adReq!.id);
    expect(adReq!.headers).toMatchObject({ cn: TAPPED, as: "json" });
    expect(JSON.parse(adReq!.args![2]!)).toEqual({ services: [{ cost: 0, serviceName: TAPPED }] });
    expect(adRes?.code).toBe(0);
    expect(JSON.parse(adRes!.args![2]!)).toEqual({ connectionCount: 2 });
    const brief = (f: TapFrame | undefined): unknown =>
      f && { type: f.type, id: f.id, service: f.service, ttl: f.ttl, code: f.code, headers: f.headers, checksumType: f.checksumType, args: f.args };
    facts.wireInit = { req: initReq?.headers, res: initRes?.headers };
    facts.wireAd = { req: brief(adReq), res: brief(adRes) };

    // Calls entering at router 0: do they come down the service's own (advertise) connection?
    for (let i = 0; i < 3; i++) {
      const r = await callThroughHyperbahnWithNode({ routers: [routersOf()[0]!], service: TAPPED, endpoint: "inspect" });
      expect(r.ok).toBe(true);
    }
    const relayedDownAdConn = tap.frames().filter((f) => f.dir === "s2c" && f.type === "CallReq" && f.service === TAPPED).length;
    const conns = await pollUntil(async () => tapped!.connections(), (c) => routersOf().every((r) => c.some((x) => x.remoteName === r)), { timeoutMs: 5000, intervalMs: 100 });
    facts.tappedService = {
      relayedCallsDownTheAdvertiseConnection: relayedDownAdConn,
      of: 3,
      routerConnectionsBack: conns.result.map((c) => c.remoteName),
    };
  });

  it(`reaps a service that stops re-advertising (peerReaper.period ${REAP_MS} ms), keeps one that re-advertises`, async () => {
    expect(tapped).toBeDefined();
    const before = await callThroughHyperbahnWithNode({ routers: routersOf(), service: TAPPED, endpoint: "echo", body: "before" });
    expect(before.ok).toBe(true);
    const framesBefore = tap!.frames().length;
    await tapped!.stopAdvertising();
    const stoppedAt = Date.now();
    const lastAd = tapped!.advertisements().at(-1)!;
    const gone = await pollUntil(
      () => callThroughHyperbahnWithNode({ routers: [routersOf()[0]!], service: TAPPED, endpoint: "echo", body: "after", retryFlags: "n", timeout: 1000 }),
      (r) => !r.ok,
      { timeoutMs: 4 * REAP_MS + 5000, intervalMs: 100 },
    );
    expect(gone.accepted).toBe(true);
    expect(gone.result.error).toMatchObject({ code: 4, codeName: "Declined", message: "no peer available for request" });
    // Also gone at router 1 (each exit node reaps on its own).
    const other = await pollUntil(
      () => callThroughHyperbahnWithNode({ routers: [routersOf()[1]!], service: TAPPED, endpoint: "echo", body: "after", retryFlags: "n", timeout: 1000 }),
      (r) => !r.ok,
      { timeoutMs: 2 * REAP_MS + 2000, intervalMs: 100 },
    );
    expect(other.accepted).toBe(true);
    // The re-advertising service outlived several reap periods and is still reachable via both.
    for (const router of routersOf()) {
      const alive = await callThroughHyperbahnWithNode({ routers: [router], service: SVC, endpoint: "echo", body: "still here" });
      expect(alive).toMatchObject({ ok: true, body: "still here" });
    }
    const tcurlGone = await callThroughHyperbahnWithNode({ via: "tcurl", routers: routersOf(), service: TAPPED, endpoint: "echo", body: "x" });
    expect(tcurlGone.error).toMatchObject({ code: 4 });
    await new Promise((r) => setTimeout(r, 300));
    const after = tap!.frames().slice(framesBefore);
    facts.reap = {
      reapMs: REAP_MS,
      msFromStopToDeclinedAtRouter0: gone.ms,
      msFromLastAdToDeclined: stoppedAt + gone.ms - lastAd.at,
      error: gone.result.error,
      errorAtRouter1: other.result.error,
      framesOnTheAdvertiseConnectionAfterStop: after
        .filter((f) => f.type === "Error" || f.type === "close")
        .map((f) => ({ dir: f.dir, type: f.type, id: f.id >>> 0, code: f.code, codeName: f.codeName, message: f.message, note: f.note, at: f.at })),
      svcAdvertisements: svc!.advertisements().length,
    };
  }, 60_000);

  it("restart(1) brings router 1 back on the same port; the re-advertising service is reachable through it again", async () => {
    const t0 = Date.now();
    const oldPid = cluster!.nodes[1]!.pid();
    await cluster!.restart(1);
    const restartMs = Date.now() - t0;
    expect(cluster!.nodes[1]!.pid()).not.toBe(oldPid);
    const back = await pollUntil(
      () => callThroughHyperbahnWithNode({ routers: [routersOf()[1]!], service: SVC, endpoint: "echo", body: "after restart", retryFlags: "n", timeout: 1000 }),
      echoOk,
      // A loaded machine (load ~24) once needed more than 10 s for the ring and the re-advertisement.
      { timeoutMs: 30000, intervalMs: 100 },
    );
    expect(back.accepted).toBe(true);
    expect(back.result.body).toBe("after restart");
    facts.restart = { restartMs, msUntilServiceReachableViaRestartedNode: back.ms };
  }, 60_000);
});
