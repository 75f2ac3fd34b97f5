import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TChannel } from "@tchannel/channel";
import { META_IDL, loadThriftSource, thriftClient } from "@tchannel/thrift";
import { EVERYTHING_THRIFT, FIXTURES, KEYVALUE_THRIFT, type TestServer, startKeyValueServer } from "../test/test-server.js";
import { EXIT } from "./exit-codes.js";
import { runTcurl } from "./run.js";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  bytes: Buffer;
}

async function tcurl(...argv: string[]): Promise<Run> {
  const out: Buffer[] = [];
  let stderr = "";
  const code = await runTcurl(argv, {
    stdout: (chunk) => out.push(Buffer.from(chunk)),
    stderr: (text) => {
      stderr += text;
    },
    cwd: FIXTURES,
    version: "9.9.9",
  });
  const bytes = Buffer.concat(out);
  return { code, stdout: bytes.toString("utf8"), stderr, bytes };
}

function json(run: Run): unknown {
  return JSON.parse(run.stdout);
}

let server: TestServer;
let hp: string;
beforeAll(async () => {
  server = await startKeyValueServer("keyvalue");
  hp = server.hostPort;
});
afterAll(async () => {
  await server.close();
});

describe("thrift", () => {
  it("sets then gets a value (the guide's round trip)", async () => {
    const set = await tcurl("-p", hp, "-t", KEYVALUE_THRIFT, "keyvalue", "KeyValue::setValue", "-3", '{"key": "foo", "value": "Hello, world!"}');
    expect(set).toMatchObject({ code: 0, stdout: "null\n", stderr: "" });
    const get = await tcurl("-p", hp, "-t", "keyvalue.thrift", "keyvalue", "KeyValue::getValue", "-3", '{"key": "foo"}');
    expect(get.code).toBe(EXIT.OK);
    expect(get.stderr).toBe("");
    expect(json(get)).toBe("Hello, world!");
  });

  it("takes the body as a positional argument too, and -t may name the folder of <service>.thrift", async () => {
    server.store.set("k", "v");
    const dir = mkdtempSync(join(tmpdir(), "tcurl-"));
    writeFileSync(join(dir, "keyvalue.thrift"), `exception NotFoundError { 1: string key }\nservice KeyValue { string getValue(1: string key) throws (1: NotFoundError notFound) }\n`);
    const get = await tcurl("-p", hp, "keyvalue", "KeyValue::getValue", '{"key": "k"}', "-t", dir);
    expect(get).toMatchObject({ code: 0, stdout: '"v"\n' });
  });

  it("prints a declared exception's fields and exits 126 (application error)", async () => {
    const res = await tcurl("-p", hp, "-t", KEYVALUE_THRIFT, "keyvalue", "KeyValue::getValue", "-3", '{"key": "missing"}');
    expect(res.code).toBe(EXIT.RESPONSE_NOT_OK);
    expect(res.code).toBe(126);
    expect(json(res)).toEqual({ key: "missing" });
    expect(res.stderr).toContain("notFound (NotFoundError)");
  });

  it("--envelope prints Uber tcurl's {ok, head, body, headers} object", async () => {
    server.store.set("e", "value");
    const ok = await tcurl("-p", hp, "-t", KEYVALUE_THRIFT, "keyvalue", "KeyValue::getValue", '{"key": "e"}', "-2", '{"h": "1"}', "--envelope");
    expect(json(ok)).toEqual({ ok: true, head: { served: "yes" }, body: "value", headers: { as: "thrift" } });
    const notFound = await tcurl("-p", hp, "-t", KEYVALUE_THRIFT, "keyvalue", "KeyValue::getValue", '{"key": "nope"}', "--envelope");
    expect(notFound.code).toBe(126);
    expect(json(notFound)).toEqual({ ok: false, body: { key: "nope" }, typeName: "notFound" });
  });

  it("converts every kind of value from and to JSON through the IDL", async () => {
    const value = {
      flag: true,
      small: -5,
      medium: 300,
      int32: 70000,
      big: "9007199254740993",
      ratio: "NaN",
      text: "héllo",
      blob: { base64: Buffer.from([0xff, 0x00, 0x01]).toString("base64") },
      color: "GREEN",
      points: [{ x: 1, y: 2 }],
      tags: ["a", "b"],
      counts: { one: 1, huge: "-9223372036854775808" },
      labels: [[{ x: 0, y: 0 }, "origin"]],
      pick: { number: 42 },
      byNumber: { "7": "RED" },
    };
    const res = await tcurl("-p", hp, "-t", EVERYTHING_THRIFT, "keyvalue", "Echo::echo", JSON.stringify({ value }));
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    expect(json(res)).toEqual({ ...value, blob: { base64: "/wAB" } });
    const count = await tcurl("-p", hp, "-t", EVERYTHING_THRIFT, "keyvalue", "Echo::count", '{"values": [1, "9007199254740993"]}');
    expect(count.stdout).toBe('"9007199254740994"\n');
  });

  it("--health calls Meta::health and prints OK", async () => {
    const res = await tcurl("-p", hp, "keyvalue", "--health");
    expect(res).toMatchObject({ code: 0, stdout: "OK\n", stderr: "" });
  });

  it("--health prints NOT OK and the message, exit 124, for an unhealthy service", async () => {
    const sick = new TChannel({ name: "sick" });
    const thrift = thriftClient(sick);
    const meta = loadThriftSource(META_IDL, { service: "sick" });
    thrift.register(meta.Meta, "health", () => new meta.HealthStatus({ ok: false, message: "draining" }));
    const sickHostPort = await sick.listen();
    try {
      const res = await tcurl("-p", sickHostPort, "sick", "--health");
      expect(res).toMatchObject({ code: EXIT.HEALTH_NOT_OK, stdout: "NOT OK\ndraining\n" });
    } finally {
      await sick.close();
    }
  });
});

describe("raw and json", () => {
  it("raw: writes the response body as it came", async () => {
    const res = await tcurl("-p", hp, "keyvalue", "echo", "--raw", "-2", "head", "-3", "hello");
    expect(res).toMatchObject({ code: 0, stdout: "hello", stderr: "" });
    const env = await tcurl("-p", hp, "keyvalue", "echo", "-r", "hi", "--headers", "hh", "--envelope");
    expect(json(env)).toEqual({ ok: true, head: "hh", body: "hi", headers: { as: "raw" } });
  });

  it("raw: status 1 is an application error (126), body still printed", async () => {
    const res = await tcurl("-p", hp, "keyvalue", "raw-fail", "--raw");
    expect(res).toMatchObject({ code: 126, stdout: "err-body" });
  });

  it("json is the default scheme without -t and without :: (as Uber's tcurl)", async () => {
    const res = await tcurl("-p", hp, "keyvalue", "add", '{"a": 1, "b": 2}');
    expect(res).toMatchObject({ code: 0, stdout: '{"sum":3}\n', stderr: "" });
    const env = await tcurl("-p", hp, "keyvalue", "add", "--json", "-3", '{"a": 2, "b": 2}', "-2", '{"x": "y"}', "--envelope");
    expect(json(env)).toEqual({ ok: true, head: { x: "y" }, body: { sum: 4 }, headers: { as: "json" } });
  });

  it("json: status 1 prints the error body, exit 126", async () => {
    const res = await tcurl("-p", hp, "keyvalue", "fail", "-j");
    expect(res.code).toBe(126);
    expect(json(res)).toEqual({ type: "bad", message: "nope" });
  });

  it("sends cn (default tcurl), sk, rd and the timeout as the TTL", async () => {
    const plain = await tcurl("-p", hp, "keyvalue", "whoami");
    expect(json(plain)).toMatchObject({ cn: "tcurl", sk: null, rd: null });
    const res = await tcurl("-p", hp, "keyvalue", "whoami", "--cn", "me", "--sk", "shard", "--rd", "keyvalue", "--timeout", "5000");
    const seen = json(res) as { cn: string; sk: string; rd: string; ttl: number };
    expect(seen).toMatchObject({ cn: "me", sk: "shard", rd: "keyvalue" });
    expect(seen.ttl).toBeGreaterThan(4000);
    expect(seen.ttl).toBeLessThanOrEqual(5000);
  });

  it("calls through a peer list (-P, and -H as Uber's deprecated alias)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tcurl-"));
    const hosts = join(dir, "hosts.json");
    writeFileSync(hosts, JSON.stringify([hp]));
    for (const flag of ["-P", "--peerlist", "-H"]) {
      const res = await tcurl(flag, hosts, "keyvalue", "add", '{"a": 1, "b": 1}');
      expect(res).toMatchObject({ code: 0, stdout: '{"sum":2}\n' });
    }
  });

  it("with several peers, chooses among them and retries connection errors on another", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tcurl-"));
    const hosts = join(dir, "hosts.json");
    writeFileSync(hosts, JSON.stringify(["127.0.0.1:1", hp]));
    for (let i = 0; i < 3; i++) {
      expect(await tcurl("-P", hosts, "keyvalue", "add", '{"a": 1, "b": 1}')).toMatchObject({ code: 0, stdout: '{"sum":2}\n' });
      expect(await tcurl("-p", "127.0.0.1:1", "-p", hp, "keyvalue", "add", '{"a": 2, "b": 2}')).toMatchObject({ code: 0, stdout: '{"sum":4}\n' });
    }
  });
});

describe("protocol errors exit with their code", () => {
  it("a timeout exits 1", async () => {
    const res = await tcurl("-p", hp, "keyvalue", "slow", "--raw", "2000", "--timeout", "100");
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/TimeoutError/);
    expect(res.stdout).toBe("");
  });

  it("an unknown endpoint exits 6 (bad request)", async () => {
    const res = await tcurl("-p", hp, "keyvalue", "nope", "--raw");
    expect(res.code).toBe(6);
    expect(res.stderr).toMatch(/BadRequestError: no such endpoint/);
  });

  it("a refused connection exits 7 (network error); --envelope also prints Uber's error object", async () => {
    const res = await tcurl("-p", "127.0.0.1:1", "keyvalue", "echo", "--raw", "--timeout", "2000", "--envelope");
    expect(res.code).toBe(7);
    expect(json(res)).toMatchObject({ ok: false, isError: true, errorCode: 7, name: "NetworkError" });
  });
});

describe("usage errors exit 64 with a clear message, before anything is sent", () => {
  const cases: [string, string[], RegExp][] = [
    ["a missing IDL", ["-p", "127.0.0.1:9", "-t", "nope.thrift", "kv", "KeyValue::getValue"], /cannot read the thrift IDL nope\.thrift: no such file/],
    ["an IDL that does not parse", ["-p", "127.0.0.1:9", "-t", "bad.thrift", "kv", "KeyValue::getValue"], /cannot load the thrift IDL .*bad\.thrift/],
    ["an unknown service", ["-p", "127.0.0.1:9", "-t", "keyvalue.thrift", "kv", "Store::getValue"], /has no service "Store" \(services: KeyValue\)/],
    ["an unknown method", ["-p", "127.0.0.1:9", "-t", "keyvalue.thrift", "kv", "KeyValue::get"], /KeyValue in .* has no method "get" \(methods: getValue, setValue\)/],
    ["an endpoint that is not Service::method", ["-p", "127.0.0.1:9", "-t", "keyvalue.thrift", "kv", "getValue"], /must be Service::method/],
    ["a :: endpoint without -t", ["-p", "127.0.0.1:9", "kv", "KeyValue::getValue"], /give the IDL with -t/],
    ["a body that is not JSON", ["-p", "127.0.0.1:9", "-t", "keyvalue.thrift", "kv", "KeyValue::getValue", "-3", "{key: 1"], /the body is not valid JSON/],
    ["a json body that is not JSON", ["-p", "127.0.0.1:9", "kv", "add", "{a"], /the body is not valid JSON/],
    ["a field the method does not have", ["-p", "127.0.0.1:9", "-t", "keyvalue.thrift", "kv", "KeyValue::getValue", '{"kee": "x"}'], /has no field "kee" \(fields: key\)/],
    ["a field of the wrong type", ["-p", "127.0.0.1:9", "-t", "keyvalue.thrift", "kv", "KeyValue::getValue", '{"key": 5}'], /body\.key: expected a string, got number 5/],
    ["a missing required field", ["-p", "127.0.0.1:9", "-t", "everything.thrift", "kv", "Echo::echo", "{}"], /body\.value: required field of echo_args is missing|body\.value: required field/],
    ["a oneway method", ["-p", "127.0.0.1:9", "-t", "everything.thrift", "kv", "Echo::fire"], /oneway/],
    ["headers that are not strings", ["-p", "127.0.0.1:9", "kv", "add", "-2", '{"a": 1}'], /headers \(-2\) must be strings/],
    ["no peer", ["kv", "add"], /no peer to call: give -p <host:port>/],
    ["a bad peer", ["-p", "localhost", "kv", "add"], /-p: expected host:port, got "localhost"/],
    ["a missing peer list", ["-P", "nope.json", "kv", "add"], /cannot read the peer list .*nope\.json: no such file/],
    ["no service", ["-p", "127.0.0.1:9"], /missing the service/],
    ["no endpoint", ["-p", "127.0.0.1:9", "kv"], /missing the endpoint \(or --health\)/],
    ["a bad timeout", ["-p", "127.0.0.1:9", "kv", "add", "--timeout", "soon"], /--timeout <ms>.*positive number/],
    ["an unknown flag", ["-p", "127.0.0.1:9", "kv", "add", "--bogus"], /unknown option '--bogus'/],
    ["two bodies", ["-p", "127.0.0.1:9", "kv", "add", "{}", "-3", "{}"], /give the body once/],
    ["--raw with --json", ["-p", "127.0.0.1:9", "kv", "add", "--raw", "--json"], /choose one of --raw, --json/],
  ];
  it.each(cases)("%s", async (_what, argv, message) => {
    const res = await tcurl(...argv);
    expect(res.stderr).toMatch(message);
    expect(res.code).toBe(EXIT.USAGE);
    expect(res.stdout).toBe("");
  });

  it("a peer list that is not a JSON array of host:port", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tcurl-"));
    writeFileSync(join(dir, "a.json"), "{not json");
    writeFileSync(join(dir, "b.json"), '{"hosts": []}');
    expect((await tcurl("-P", join(dir, "a.json"), "kv", "add")).stderr).toMatch(/is not JSON/);
    expect((await tcurl("-P", join(dir, "b.json"), "kv", "add")).stderr).toMatch(/must be a non-empty JSON array/);
  });

  it("skips a leading -- (what `pnpm tcurl -- ...` passes on), and only a leading one", async () => {
    const help = await tcurl("--", "--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: tcurl -p <host:port>/);
    expect(await tcurl("--", "-v")).toMatchObject({ code: 0, stdout: "9.9.9\n" });
    // Elsewhere -- keeps its meaning: what follows is positional (here the endpoint, not a flag).
    const positional = await tcurl("kv", "--", "--help");
    expect(positional.code).toBe(64);
    expect(positional.stdout).toBe("");
    expect(positional.stderr).toMatch(/no peer to call/);
  });

  it("an unknown flag prints the usage hint and exits 64, without a stack trace", async () => {
    const res = await tcurl("--no-such-flag", "-p", "127.0.0.1:1", "kv", "add");
    expect(res.code).toBe(64);
    expect(res.stderr).toMatch(/unknown option '--no-such-flag'/);
    expect(res.stderr).toMatch(/tcurl --help/);
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });

  it("a bare port after -p is a usage error that says what a peer looks like", async () => {
    const res = await tcurl("-p", "4042", "kv", "add");
    expect(res.code).toBe(64);
    expect(res.stderr).toMatch(/4042/);
    expect(res.stderr).toMatch(/host:port/);
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });

  it("--help and --version exit 0", async () => {
    const help = await tcurl("--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: tcurl -p <host:port>/);
    expect(help.stdout).toMatch(/--peerlist/);
    const version = await tcurl("-v");
    expect(version).toMatchObject({ code: 0, stdout: "9.9.9\n" });
  });
});
