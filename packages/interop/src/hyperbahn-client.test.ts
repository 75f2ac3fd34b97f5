import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { DeclinedError, Response, TChannel, type ThriftModule, thrift } from "tchannel-ts";
import {
  type HyperbahnCluster,
  type HyperbahnService,
  callThroughHyperbahnWithNode,
  ensureHyperbahnInstalled,
  pollUntil,
  startFrameTap,
  startHyperbahnCluster,
  startNodeServiceOnHyperbahn,
} from "./hyperbahn.js";
import { KEYVALUE_THRIFT, ensurePeersInstalled, ensureUberTcurlInstalled, runUberTcurl } from "./peers.js";
import { SpanKind, context, propagation } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { TChannelIdGenerator, instrumentTChannel } from "tchannel-ts/opentelemetry";

// Our Hyperbahn client (tchannel-ts `advertise`, @tchannel/hyperbahn) against a real 2-node
// Hyperbahn 2.20.1 mesh with a short reap period: our service advertised and called through either
// router by tchannel-node 4.0.1 and Uber's tcurl 4.23.1; our client, knowing only the routers,
// calling our service and a tchannel-node service; re-advertising outliving reaps, a service that
// goes quiet being reaped, unadvertise and its drain notice, and a router restart.

const REAP_MS = 1500;
/** Re-advertise every 400 ms ±20%: well inside the reap period. */
const INTERVAL_MS = 400;
const OURS = "hb-ts-keyvalue";
const NODE_SVC = "hb-ts-node-echo";

let cluster: HyperbahnCluster | undefined;
let nodeSvc: HyperbahnService | undefined;
let server: TChannel | undefined;
let kv: ThriftModule | undefined;
const channels: TChannel[] = [];
const values = new Map<string, string>();

function routers(): string[] {
  return cluster!.routers;
}

/** A channel that knows only the routers. */
function routedClient(name: string): TChannel {
  const ch = new TChannel({ name });
  ch.setRouters(routers());
  channels.push(ch);
  return ch;
}

async function keyvalueServer(name: string): Promise<TChannel> {
  const ch = new TChannel({ name });
  channels.push(ch);
  const idl = await thrift.load(KEYVALUE_THRIFT, { service: name });
  ch.thrift.register(idl.KeyValue, "getValue", (req) => {
    const v = values.get(req.body.key);
    if (v === undefined) throw new idl.NotFoundError({ key: req.body.key });
    return v;
  });
  ch.thrift.register(idl.KeyValue, "setValue", (req) => {
    values.set(req.body.key, req.body.value);
  });
  ch.raw.register("echo", (req) => new Response(req.body, req.headers));
  ch.json.register("echo-json", (req) => new Response(req.body, req.headers));
  return ch;
}

beforeAll(async () => {
  ensurePeersInstalled();
  ensureUberTcurlInstalled();
  ensureHyperbahnInstalled();
  cluster = await startHyperbahnCluster({ nodes: 2, reapMs: REAP_MS });
  nodeSvc = await startNodeServiceOnHyperbahn({ routers: cluster.routers, service: NODE_SVC, advertiseIntervalMs: INTERVAL_MS });
  server = await keyvalueServer(OURS);
  kv = await thrift.load(KEYVALUE_THRIFT, { service: OURS });
}, 900_000);

afterAll(async () => {
  await Promise.all(channels.map((c) => c.close()));
  await nodeSvc?.stop();
  await cluster?.stop();
}, 60_000);

describe("our service on a real Hyperbahn", () => {
  it("advertises (listening first) and both routers accept it", async () => {
    expect(server!.isListening).toBe(false);
    const response = await server!.advertise({ routers: routers(), interval: INTERVAL_MS });
    expect(server!.isListening).toBe(true);
    // Both routers of the 2-node ring are exit nodes for every service (k = 10).
    expect(response.body).toEqual({ connectionCount: 2 });
  });

  it("announces its listening host:port in the init of the connection it advertises on", async () => {
    const tap = await startFrameTap(routers()[0]!);
    const other = await keyvalueServer("hb-ts-tapped");
    try {
      await other.advertise({ routers: [tap.hostPort] });
      const frames = tap.frames();
      const init = frames.find((f) => f.dir === "c2s" && f.type === "InitReq");
      expect(init?.headers?.host_port).toBe(other.hostPort);
      const ad = frames.find((f) => f.dir === "c2s" && f.type === "CallReq" && f.args?.[0] === "ad");
      expect(ad?.service).toBe("hyperbahn");
      expect(ad?.headers).toMatchObject({ cn: "hb-ts-tapped", as: "json" });
      expect(JSON.parse(ad!.args![2]!)).toEqual({ services: [{ serviceName: "hb-ts-tapped", cost: 0 }] });
    } finally {
      await other.close();
      await tap.stop();
    }
  });

  it("is called through either router by tchannel-node (raw and json)", async () => {
    for (const router of routers()) {
      const raw = await callThroughHyperbahnWithNode({ routers: [router], service: OURS, endpoint: "echo", headers: "h", body: `raw via ${router}` });
      expect(raw).toMatchObject({ ok: true, headers: "h", body: `raw via ${router}` });
      const json = await callThroughHyperbahnWithNode({ routers: [router], service: OURS, endpoint: "echo-json", scheme: "json", headers: { k: "v" }, body: { router } });
      expect(json).toMatchObject({ ok: true, headers: { k: "v" }, body: { router } });
    }
  });

  it("is called through the routers by Uber's tcurl -P (thrift set/get, NotFoundError, --health)", async () => {
    const hosts = cluster!.hostsFile();
    const tcurl = (...args: string[]) => runUberTcurl(["-P", hosts, "--timeout", "5000", ...args]);
    const thriftArgs = ["-t", KEYVALUE_THRIFT, "--no-strict"];
    const set = await tcurl(OURS, "KeyValue::setValue", ...thriftArgs, "-3", '{"key": "hello", "value": "world"}');
    expect(set.code).toBe(0);
    const get = await tcurl(OURS, "KeyValue::getValue", ...thriftArgs, "-3", '{"key": "hello"}');
    expect(get.code).toBe(0);
    expect(JSON.parse(get.stdout)).toMatchObject({ ok: true, body: "world" });
    const missing = await tcurl(OURS, "KeyValue::getValue", ...thriftArgs, "-3", '{"key": "hi"}');
    expect(JSON.parse(missing.stdout)).toMatchObject({ ok: false, typeName: "notFound", body: { key: "hi" } });
    const health = await tcurl(OURS, "--health");
    expect(health.code).toBe(0);
    expect(health.stdout).toContain("OK");
  });
});

describe("our client through a real Hyperbahn, knowing only the routers", () => {
  it("calls our service (thrift, raw, json) and a tchannel-node service", async () => {
    const client = routedClient("hb-ts-client");
    await client.thrift(kv!.KeyValue.setValue({ key: "foo", value: "Hello, world!" }));
    expect((await client.thrift(kv!.KeyValue.getValue({ key: "foo" }))).body).toBe("Hello, world!");
    const notFound = await client.thrift(kv!.KeyValue.getValue({ key: "absent" })).catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(kv!.NotFoundError);
    expect((await client.raw({ service: OURS, endpoint: "echo", body: Buffer.from("r") })).body.toString()).toBe("r");
    const nodeRaw = await client.raw({ service: NODE_SVC, endpoint: "echo", headers: Buffer.from("h"), body: Buffer.from("to node") });
    expect(nodeRaw.body.toString()).toBe("to node");
    expect(nodeRaw.headers.toString()).toBe("h");
    const nodeJson = await client.json({ service: NODE_SVC, endpoint: "add", body: { a: 2, b: 40 } });
    expect(nodeJson.body).toEqual({ sum: 42 });
  });

  it("gets DeclinedError for a service nobody advertised", async () => {
    const client = routedClient("hb-ts-client-2");
    const err = await client.raw({ service: "hb-ts-nobody", endpoint: "echo", retryLimit: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeclinedError);
    expect((err as Error).message).toContain("no peer available");
  });

  it("carries the trace through the router: our server's span is the child of our client's (raw and json)", async () => {
    // Hyperbahn relays the tracing field (and the $tracing$ headers) as they are: the router adds no hop.
    const exporter = new InMemorySpanExporter();
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    const instrumentation = instrumentTChannel({
      metrics: false,
      tracerProvider: new BasicTracerProvider({ idGenerator: new TChannelIdGenerator(), spanProcessors: [new SimpleSpanProcessor(exporter)] }),
    });
    try {
      const client = routedClient("hb-ts-traced");
      expect((await client.raw({ service: OURS, endpoint: "echo", body: Buffer.from("t") })).body.toString()).toBe("t");
      expect((await client.json({ service: OURS, endpoint: "echo-json", body: { t: 1 } })).body).toEqual({ t: 1 });
      for (let i = 0; i < 200 && exporter.getFinishedSpans().length < 4; i++) await new Promise((r) => setTimeout(r, 10));
      for (const endpoint of ["echo", "echo-json"]) {
        const spans = exporter.getFinishedSpans().filter((s) => s.name === `${OURS}/${endpoint}`);
        const clientSpan = spans.find((s) => s.kind === SpanKind.CLIENT)!;
        const serverSpan = spans.find((s) => s.kind === SpanKind.SERVER)!;
        expect(serverSpan.spanContext().traceId).toBe(clientSpan.spanContext().traceId);
        expect(serverSpan.parentSpanContext?.spanId).toBe(clientSpan.spanContext().spanId);
      }
    } finally {
      instrumentation.disable();
      context.disable();
      propagation.disable();
    }
  });
});

describe("staying on Hyperbahn", () => {
  it(`re-advertising outlives the routers' reaping (${REAP_MS} ms); a service that goes quiet is reaped`, async () => {
    const quiet = await keyvalueServer("hb-ts-quiet");
    await quiet.advertise({ routers: routers(), interval: INTERVAL_MS });
    const client = routedClient("hb-ts-reap-client");
    expect((await client.raw({ service: "hb-ts-quiet", endpoint: "echo", body: Buffer.from("x") })).body.toString()).toBe("x");
    await quiet.hyperbahn[0]!.stop({ unadvertise: false });
    const gone = await pollUntil(
      () => client.raw({ service: "hb-ts-quiet", endpoint: "echo", body: Buffer.from("x"), retryLimit: 0, timeout: 1000 }).then(() => undefined, (e: unknown) => e),
      (e) => e instanceof DeclinedError,
      { timeoutMs: 4 * REAP_MS + 5000, intervalMs: 100 },
    );
    expect(gone.accepted).toBe(true);
    // The re-advertising service has outlived several reap periods by now, through both routers.
    const before = server!.hyperbahn[0]!.advertisements;
    expect(before).toBeGreaterThan(3);
    for (const router of routers()) {
      const alive = await callThroughHyperbahnWithNode({ routers: [router], service: OURS, endpoint: "echo", body: "still here", retryFlags: "n" });
      expect(alive).toMatchObject({ ok: true, body: "still here" });
    }
    await quiet.close();
  }, 60_000);

  it("unadvertises on close; the router's drain notice does not break the channel", async () => {
    const leaving = await keyvalueServer("hb-ts-leaving");
    await leaving.advertise({ routers: routers(), interval: INTERVAL_MS });
    const client = routedClient("hb-ts-unad-client");
    expect((await client.raw({ service: "hb-ts-leaving", endpoint: "echo", body: Buffer.from("x") })).body.toString()).toBe("x");
    await leaving.hyperbahn[0]!.stop();
    const gone = await pollUntil(
      () => client.raw({ service: "hb-ts-leaving", endpoint: "echo", body: Buffer.from("x"), retryLimit: 0, timeout: 1000 }).then(() => undefined, (e: unknown) => e),
      (e) => e instanceof DeclinedError,
      { timeoutMs: 5000, intervalMs: 100 },
    );
    expect(gone.accepted).toBe(true);
    // After the drain notice (error frame 0xffffffff) the same channel advertises and serves again.
    await leaving.advertise({ routers: routers(), interval: INTERVAL_MS });
    const back = await pollUntil(
      () => client.raw({ service: "hb-ts-leaving", endpoint: "echo", body: Buffer.from("back"), retryLimit: 0, timeout: 1000 }).then((r) => r.body.toString(), () => undefined),
      (body) => body === "back",
      { timeoutMs: 5000, intervalMs: 100 },
    );
    expect(back.accepted).toBe(true);
    await leaving.close();
  }, 60_000);

  it("is reachable through a restarted router within one re-advertise period", async () => {
    await cluster!.restart(1);
    const client = new TChannel({ name: "hb-ts-restart-client" });
    channels.push(client);
    client.setRouters([routers()[1]!]);
    const back = await pollUntil(
      () => client.raw({ service: OURS, endpoint: "echo", body: Buffer.from("after restart"), retryLimit: 0, timeout: 1000 }).then((r) => r.body.toString(), () => undefined),
      (body) => body === "after restart",
      // One period (±20% jitter), plus slack for the ring to settle and the router to connect back.
      { timeoutMs: INTERVAL_MS * 1.2 + 5000, intervalMs: 50 },
    );
    expect(back.accepted).toBe(true);
  }, 60_000);
});
