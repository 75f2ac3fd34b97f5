import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Response, TChannel } from "@tchannel/channel";
import { META_IDL, type ThriftClient, type ThriftModule, loadThrift, loadThriftSource, thriftClient } from "@tchannel/thrift";
import { KEYVALUE_THRIFT, type NodeServer, ensurePeersInstalled, runNodeClient, startNodeServer } from "./peers.js";

// Thrift-scheme interop with Uber's tchannel-node 4.0.1 (as/thrift), both directions, over the
// same peers/keyvalue.thrift (spec §15.3, §16.5-16.6): application headers in arg2, the args
// struct in arg3, the result struct back (success field 0, declared exceptions in a not-ok
// call res), and Meta::health.

const BIG_VALUE = "0123456789abcdef".repeat((300 * 1024) / 16); // 300 KiB: fragments both ways

beforeAll(() => ensurePeersInstalled(), 180_000);

describe("our thrift client → tchannel-node thrift server", () => {
  const SERVICE = "node-keyvalue";
  let node: NodeServer;
  let channel: TChannel;
  let client: ThriftClient;
  let kv: ThriftModule;
  beforeAll(async () => {
    node = await startNodeServer({ thriftKeyValue: SERVICE });
    kv = await loadThrift(KEYVALUE_THRIFT, { service: SERVICE, hostPort: node.hostPort });
    channel = new TChannel({ name: "ts-thrift-client" });
    client = thriftClient(channel);
  });
  afterAll(async () => {
    await channel.close();
    await node.stop();
    // tchannel-node logs warn/error lines for anything it could not parse.
    expect(node.stderr()).toBe("");
  });

  it("setValue then getValue, with thrift headers echoed back", async () => {
    const set = await client(kv.KeyValue.setValue({ key: "foo", value: "bar" }), { headers: { "set-h": "1" } });
    expect(set.body).toBeNull();
    expect(set.headers).toEqual({ "set-h": "1" });
    expect(set.transport?.headers.as).toBe("thrift");

    const res = await client(kv.KeyValue.getValue({ key: "foo" }), { headers: { k: "v", other: "ünïcode" }, timeout: 1000 });
    expect(res.body).toBe("bar");
    expect(res.headers).toEqual({ k: "v", other: "ünïcode" });
  });

  it("a declared exception is thrown as the IDL's exception class", async () => {
    const err = await client(kv.KeyValue.getValue({ key: "missing" })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(kv.NotFoundError);
    expect(err).toBeInstanceOf(Error);
    expect((err as { key: string }).key).toBe("missing");
    // the connection is still fine
    expect((await client(kv.KeyValue.getValue({ key: "foo" }))).body).toBe("bar");
  });

  it("a 300 KiB value round trips", async () => {
    await client(kv.KeyValue.setValue({ key: "big", value: BIG_VALUE }));
    const res = await client(kv.KeyValue.getValue({ key: "big" }), { timeout: 5000 });
    expect(res.body).toHaveLength(BIG_VALUE.length);
    expect(res.body).toBe(BIG_VALUE);
  });

  it("Meta::health (tchannel-node's own, from isHealthy)", async () => {
    const meta = loadThriftSource(META_IDL, { service: SERVICE, hostPort: node.hostPort });
    const res = await client(meta.Meta.health({}));
    expect((res.body as { ok: boolean }).ok).toBe(true);
  });

  it("values set by tchannel-node's client are visible to ours and vice versa", async () => {
    const [set] = await runNodeClient({
      hostPort: node.hostPort,
      service: SERVICE,
      calls: [{ scheme: "thrift", endpoint: "KeyValue::setValue", body: { key: "from-node", value: "hello" } }],
    });
    expect(set).toMatchObject({ ok: true, body: null });
    expect((await client(kv.KeyValue.getValue({ key: "from-node" }))).body).toBe("hello");
  });
});

describe("tchannel-node thrift client → our thrift server", () => {
  const SERVICE = "ts-keyvalue";
  let server: TChannel;
  let hostPort: string;
  beforeAll(async () => {
    const kv = await loadThrift(KEYVALUE_THRIFT, { service: SERVICE });
    server = new TChannel({ name: SERVICE });
    const thrift = thriftClient(server); // registers Meta::health too
    const store = new Map<string, string>();
    thrift.register(kv.KeyValue, "getValue", (req) => {
      const key = req.body.key as string;
      const value = store.get(key);
      if (value === undefined) throw new kv.NotFoundError({ key });
      return new Response(value, req.headers);
    });
    thrift.register(kv.KeyValue, "setValue", (req) => {
      store.set(req.body.key as string, req.body.value as string);
      return new Response(null, req.headers);
    });
    hostPort = await server.listen();
  });
  afterAll(() => server.close());

  it("setValue, getValue with headers, NotFoundError, a 300 KiB value and Meta::health", async () => {
    const results = await runNodeClient({
      hostPort,
      service: SERVICE,
      calls: [
        { scheme: "thrift", endpoint: "KeyValue::setValue", headers: { "set-h": "1" }, body: { key: "foo", value: "bar" } },
        { scheme: "thrift", endpoint: "KeyValue::getValue", headers: { k: "v", other: "ünïcode" }, body: { key: "foo" }, timeout: 1000 },
        { scheme: "thrift", endpoint: "KeyValue::getValue", headers: { k: "v" }, body: { key: "missing" } },
        { scheme: "thrift", endpoint: "KeyValue::setValue", body: { key: "big", value: BIG_VALUE } },
        { scheme: "thrift", endpoint: "KeyValue::getValue", body: { key: "big" }, timeout: 5000 },
        { scheme: "thrift", endpoint: "Meta::health", body: {} },
        { scheme: "thrift", endpoint: "KeyValue::getValue", body: { key: "foo" } },
        { scheme: "thrift", endpoint: "Meta::thriftIDL" },
      ],
    });
    const [set, get, missing, setBig, getBig, health, again, idl] = results;
    for (const r of results) expect(r?.error).toBeUndefined();

    expect(set).toMatchObject({ ok: true, body: null, headers: { "set-h": "1" }, transportHeaders: { as: "thrift" } });
    expect(get).toMatchObject({ ok: true, body: "bar", headers: { k: "v", other: "ünïcode" }, transportHeaders: { as: "thrift" } });

    // declared exception: a not-ok call res whose result struct has field 1 (notFound) set
    expect(missing).toMatchObject({ ok: false, typeName: "notFound", exceptionType: "NotFoundError", body: { key: "missing" } });

    expect(setBig).toMatchObject({ ok: true });
    expect(getBig?.ok).toBe(true);
    expect(getBig?.body).toHaveLength(BIG_VALUE.length);
    expect(getBig?.body === BIG_VALUE).toBe(true);

    // tchannel-node's meta.thrift: HealthStatus health() (no args); our extra `state` field is skipped
    expect(health).toMatchObject({ ok: true, body: { ok: true }, transportHeaders: { as: "thrift" } });

    expect(again).toMatchObject({ ok: true, body: "bar" });

    // Meta::thriftIDL: map<filename, string> of the registered module's IDL
    expect(idl?.ok).toBe(true);
    expect(idl?.body.idls["keyvalue.thrift"]).toBe(readFileSync(KEYVALUE_THRIFT, "utf8"));
  });

  it("Meta::thriftIDL's entryPoint is a key of its idls map, as in tchannel-node", async () => {
    const [idl] = await runNodeClient({ hostPort, service: SERVICE, calls: [{ scheme: "thrift", endpoint: "Meta::thriftIDL" }] });
    expect(idl?.ok).toBe(true);
    expect(Object.keys(idl?.body.idls ?? {})).toContain(idl?.body.entryPoint);
    expect(idl?.body.entryPoint).toBe("keyvalue.thrift");
  });
});
