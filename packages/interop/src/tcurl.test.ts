import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Response, TChannel } from "@tchannel/channel";
import { jsonClient } from "@tchannel/json";
import { loadThriftSync, thriftClient } from "@tchannel/thrift";
import { runTcurl } from "@tchannel/tcurl";
import {
  KEYVALUE_THRIFT,
  type NodeServer,
  ensurePeersInstalled,
  ensureUberTcurlInstalled,
  runUberTcurl,
  startNodeServer,
} from "./peers.js";

// tcurl interop, both ways:
// - our tcurl (@tchannel/tcurl's runTcurl, in-process; the bin itself is tested in packages/tcurl)
//   against a tchannel-node 4.0.1 server: raw echo, json add, thrift KeyValue and Meta::health;
// - Uber's own tcurl 4.23.1 (peers/uber-tcurl) against our keyvalue server, with the same
//   peers/keyvalue.thrift.

beforeAll(() => {
  ensurePeersInstalled();
  ensureUberTcurlInstalled();
}, 900_000);

async function ourTcurl(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await runTcurl(argv, {
    stdout: (chunk) => {
      stdout += Buffer.from(chunk).toString("utf8");
    },
    stderr: (text) => {
      stderr += text;
    },
  });
  return { code, stdout, stderr };
}

describe("our tcurl → tchannel-node server", () => {
  const SERVICE = "node-server";
  const KV = "node-keyvalue";
  let node: NodeServer;
  beforeAll(async () => {
    node = await startNodeServer({ service: SERVICE, thriftKeyValue: KV });
  });
  afterAll(async () => {
    await node.stop();
    expect(node.stderr()).toBe("");
  });

  it("raw echo writes the body as it came", async () => {
    const res = await ourTcurl("-p", node.hostPort, SERVICE, "echo", "--raw", "-2", "head", "-3", "hello, node");
    expect(res).toEqual({ code: 0, stdout: "hello, node", stderr: "" });
  });

  it("json add (json is the default scheme), with --envelope showing head and transport headers", async () => {
    const res = await ourTcurl("-p", node.hostPort, SERVICE, "add", '{"a": 2, "b": 40}');
    expect(res).toEqual({ code: 0, stdout: '{"sum":42}\n', stderr: "" });
    const env = await ourTcurl("-p", node.hostPort, SERVICE, "add", "-3", '{"a": 1, "b": 1}', "-2", '{"h": "v"}', "--envelope");
    expect(JSON.parse(env.stdout)).toEqual({ ok: true, head: { h: "v" }, body: { sum: 2 }, headers: { as: "json" } });
  });

  it("json application error: the error body and exit 126", async () => {
    const res = await ourTcurl("-p", node.hostPort, SERVICE, "fail");
    expect(res.code).toBe(126);
    expect(JSON.parse(res.stdout)).toMatchObject({ type: "bad", message: "nope" });
  });

  it("thrift setValue, getValue and NotFoundError", async () => {
    const set = await ourTcurl("-p", node.hostPort, "-t", KEYVALUE_THRIFT, KV, "KeyValue::setValue", "-3", '{"key": "foo", "value": "Hello, world!"}');
    expect(set).toEqual({ code: 0, stdout: "null\n", stderr: "" });
    const get = await ourTcurl("-p", node.hostPort, "-t", KEYVALUE_THRIFT, KV, "KeyValue::getValue", "-3", '{"key": "foo"}', "-2", '{"k": "v"}', "--envelope");
    expect(JSON.parse(get.stdout)).toEqual({ ok: true, head: { k: "v" }, body: "Hello, world!", headers: { as: "thrift" } });
    const missing = await ourTcurl("-p", node.hostPort, "-t", KEYVALUE_THRIFT, KV, "KeyValue::getValue", "-3", '{"key": "nope"}');
    expect(missing.code).toBe(126);
    expect(JSON.parse(missing.stdout)).toEqual({ key: "nope" });
  });

  it("--health against tchannel-node's Meta::health", async () => {
    expect(await ourTcurl("-p", node.hostPort, KV, "--health")).toEqual({ code: 0, stdout: "OK\n", stderr: "" });
  });

  it("error frames exit with their code: unknown endpoint 6, a raw error frame, a timeout 1", async () => {
    const unknown = await ourTcurl("-p", node.hostPort, SERVICE, "nope", "--raw");
    expect(unknown.code).toBe(6);
    expect(unknown.stderr).toMatch(/BadRequestError: no such endpoint/);
    const busy = await ourTcurl("-p", node.hostPort, SERVICE, "error", "--raw", "-2", "Busy", "-3", "too busy");
    expect(busy.code).toBe(3);
    expect(busy.stderr).toMatch(/BusyError: too busy/);
    const slow = await ourTcurl("-p", node.hostPort, SERVICE, "slow", "--raw", "2000", "--timeout", "200");
    expect(slow.code).toBe(1);
  });
});

describe("Uber's tcurl 4.23.1 → our keyvalue server", () => {
  const SERVICE = "ts-keyvalue";
  let server: TChannel;
  let hostPort: string;
  beforeAll(async () => {
    server = new TChannel({ name: SERVICE });
    const kv = loadThriftSync(KEYVALUE_THRIFT, { service: SERVICE });
    const store = new Map<string, string>();
    const thrift = thriftClient(server);
    thrift.register(kv.KeyValue, "getValue", (req) => {
      const value = store.get(req.body.key);
      if (value === undefined) throw new kv.NotFoundError({ key: req.body.key });
      return new Response(value, req.headers);
    });
    thrift.register(kv.KeyValue, "setValue", (req) => {
      store.set(req.body.key, req.body.value);
    });
    jsonClient(server).register("add", (req) => {
      const { a, b } = req.body as { a: number; b: number };
      return { sum: a + b };
    });
    server.raw.register("echo", (req) => req.body);
    hostPort = await server.listen();
  });
  afterAll(async () => {
    await server.close();
  });

  // Uber's tcurl: --timeout defaults to 100 ms; thrift IDLs are parsed strictly unless --no-strict
  // (peers/keyvalue.thrift marks no field required/optional).
  const tcurl = (...args: string[]) => runUberTcurl(["-p", hostPort, "--timeout", "5000", ...args]);
  const thriftArgs = ["-t", KEYVALUE_THRIFT, "--no-strict"];

  it("thrift setValue then getValue", async () => {
    const set = await tcurl(SERVICE, "KeyValue::setValue", ...thriftArgs, "-3", '{"key": "foo", "value": "Hello, world!"}');
    expect(set.code).toBe(0);
    expect(JSON.parse(set.stdout)).toEqual({ ok: true, head: {}, headers: { as: "thrift" } });
    const get = await tcurl(SERVICE, "KeyValue::getValue", ...thriftArgs, "-3", '{"key": "foo"}', "-2", '{"k": "v"}');
    expect(get.code).toBe(0);
    expect(JSON.parse(get.stdout)).toEqual({ ok: true, head: { k: "v" }, body: "Hello, world!", headers: { as: "thrift" } });
  });

  it("NotFoundError: ok false, typeName notFound, exit 126", async () => {
    const res = await tcurl(SERVICE, "KeyValue::getValue", ...thriftArgs, "-3", '{"key": "missing"}');
    expect(res.code).toBe(126);
    expect(JSON.parse(res.stdout)).toEqual({ ok: false, head: {}, body: { key: "missing" }, headers: { as: "thrift" }, typeName: "notFound" });
  });

  it("without --no-strict it refuses this IDL, and still exits 0", async () => {
    const res = await tcurl(SERVICE, "KeyValue::getValue", "-t", KEYVALUE_THRIFT, "-3", '{"key": "foo"}');
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/Consider using --no-strict/);
  });

  it("--health, json and raw", async () => {
    const health = await tcurl(SERVICE, "--health");
    expect(health).toMatchObject({ code: 0, stdout: "OK\n" });
    const add = await tcurl(SERVICE, "add", "-3", '{"a": 1, "b": 2}');
    expect(add.code).toBe(0);
    expect(JSON.parse(add.stdout)).toMatchObject({ ok: true, body: { sum: 3 }, headers: { as: "json" } });
    const echo = await tcurl(SERVICE, "echo", "--raw", "-3", "hello");
    expect(echo).toMatchObject({ code: 0, stdout: "hello" });
  });

  it("an unknown endpoint: our BadRequest error frame becomes exit 6", async () => {
    const res = await tcurl(SERVICE, "nope", "--raw", "-3", "x");
    expect(res.code).toBe(6);
    expect(JSON.parse(res.stdout)).toMatchObject({ ok: false, isErrorFrame: true, errorCode: 6 });
  });
});
