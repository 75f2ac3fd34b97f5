// Cassettes recorded by tchannel-python 2.1.0 (test/fixtures/tchannel-python, README there): each
// replays in record mode "none" with no server anywhere and gives the answers Python's server gave.
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "@jest/globals";
import { TChannel, setCallInterceptor, setSyncCallInterceptor } from "@tchannel/channel";
import { jsonClient } from "@tchannel/json";
import { META_IDL, loadThriftSource, thriftClient } from "@tchannel/thrift";
import { CannotRecordInteractionsError, parseCassette, useCassette } from "./index.js";

const FIXTURES = join(__dirname, "..", "test", "fixtures", "tchannel-python");
const SERVICE = "keyvalue-server";
/** Where the recording's server listened; nothing does now. Matching ignores hostPort anyway. */
const GONE = "127.0.0.1:38639";

const dir = mkdtempSync(join(tmpdir(), "vcr-py-"));
const open: TChannel[] = [];
afterEach(async () => {
  setCallInterceptor(undefined);
  setSyncCallInterceptor(undefined);
  await Promise.all(open.splice(0).map((c) => c.close()));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A copy of the fixture (mode none writes nothing, but the fixture must stay as Python wrote it). */
function fixture(name: string): string {
  const path = join(dir, name);
  copyFileSync(join(FIXTURES, name), path);
  return path;
}

function channel(name = "ts-client", knownPeers?: string[]): TChannel {
  const ch = new TChannel({ name, ...(knownPeers ? { knownPeers } : {}) });
  open.push(ch);
  return ch;
}

const kv = loadThriftSource(readFileSync(join(FIXTURES, "keyvalue.thrift"), "utf8"), { service: SERVICE, hostPort: GONE });
const meta = loadThriftSource(META_IDL, { service: SERVICE, hostPort: GONE });

describe("cassettes recorded by tchannel-python replay in record mode none, with the server gone", () => {
  it("all of them parse", () => {
    const names = readdirSync(FIXTURES).filter((f) => f.endsWith(".yaml"));
    expect(names).toHaveLength(7);
    for (const name of names) expect(parseCassette(readFileSync(join(FIXTURES, name), "utf8"), name).length).toBeGreaterThan(0);
  });

  it("py-raw.yaml: raw echo of text, 64 binary bytes and an empty body", async () => {
    const ch = channel();
    const binary = Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 31 + 7) % 256));
    const answers = await useCassette(fixture("py-raw.yaml"), { recordMode: "none" }, async (cassette) => {
      const echo = (body: Buffer, headers: Buffer) => ch.raw({ service: SERVICE, endpoint: "echo", body, headers, hostPort: GONE });
      const out = [await echo(Buffer.from("hello"), Buffer.alloc(0)), await echo(binary, Buffer.from("arg2-64")), await echo(Buffer.alloc(0), Buffer.from("h"))];
      expect(cassette.playCount).toBe(3);
      return out.map((r) => [r.body.toString("hex"), r.headers.toString()]);
    });
    expect(answers).toEqual([
      [Buffer.from("hello").toString("hex"), ""],
      [binary.toString("hex"), "arg2-64"],
      ["", "h"],
    ]);
  });

  it("py-json.yaml: json bodies (non-ASCII, nesting) and headers, spelled by json.dumps, match ours as values", async () => {
    const json = jsonClient(channel());
    const body = { a: 1, s: "héllo ☃", list: [1, 2.5, true, null], nested: { x: { y: [] } } };
    const answers = await useCassette(fixture("py-json.yaml"), { recordMode: "none" }, async () => [
      await json({ service: SERVICE, endpoint: "json-echo", body, headers: { k: "v", "x-test": "json-echo" }, hostPort: GONE }),
      await json({ service: SERVICE, endpoint: "json-echo", body: { n: 2 }, hostPort: GONE }),
    ]);
    expect(answers[0]!.body).toEqual(body);
    expect({ ...answers[0]!.headers }).toEqual({ k: "v", "x-test": "json-echo" });
    expect(answers[1]!.body).toEqual({ n: 2 });
    expect({ ...answers[1]!.headers }).toEqual({});
  });

  it("py-thrift.yaml: setValue, getValue, Meta::health, getValue with application headers", async () => {
    const thrift = thriftClient(channel());
    const answers = await useCassette(fixture("py-thrift.yaml"), { recordMode: "none" }, async () => [
      (await thrift(kv.KeyValue.setValue({ key: "foo", value: "Hello, world!" }))).body,
      (await thrift(kv.KeyValue.getValue({ key: "foo" }))).body,
      (await thrift(meta.Meta.health({}))).body,
      await thrift(kv.KeyValue.getValue({ key: "foo" }), { headers: { hk: "hv" } }),
    ]);
    expect(answers[0]).toBeNull(); // void
    expect(answers[1]).toBe("Hello, world!");
    expect(answers[2]).toMatchObject({ ok: true });
    expect((answers[3] as { body: unknown }).body).toBe("Hello, world!");
  });

  it("py-thrift-error.yaml: the declared NotFoundError, as an instance of its class", async () => {
    const thrift = thriftClient(channel());
    const err = await useCassette(fixture("py-thrift-error.yaml"), { recordMode: "none" }, () => thrift(kv.KeyValue.getValue({ key: "missing-key" })).catch((e) => e));
    expect(err).toBeInstanceOf(kv.NotFoundError);
    expect(err.key).toBe("missing-key");
  });

  it("py-protocol-error.yaml: the echoes replay; the calls Python did not record find no interaction", async () => {
    const ch = channel();
    const json = jsonClient(ch);
    const thrift = thriftClient(ch);
    const raw = (endpoint: string, body: string) => ch.raw({ service: SERVICE, endpoint, body: Buffer.from(body), hostPort: GONE });
    const results = await useCassette(fixture("py-protocol-error.yaml"), { recordMode: "none" }, async () => {
      const settle = (p: Promise<unknown>) => p.then((r) => r, (e: unknown) => e);
      return [
        await settle(raw("echo", "before")),
        await settle(raw("fail", "x")),
        await settle(raw("no-such-endpoint", "x")),
        await settle(json({ service: SERVICE, endpoint: "no-such-endpoint", body: {}, hostPort: GONE })),
        await settle(thrift(loadThriftSource("service KeyValue { void nosuch() }", { service: SERVICE, hostPort: GONE }).KeyValue.nosuch({}))),
        await settle(raw("echo", "after")),
      ];
    });
    expect((results[0] as { body: Buffer }).body.toString()).toBe("before");
    for (const r of results.slice(1, 5)) expect(r).toBeInstanceOf(CannotRecordInteractionsError);
    expect((results[5] as { body: Buffer }).body.toString()).toBe("after");
  });

  it("py-known-peers.yaml: a call without hostPort from a channel with known peers", async () => {
    const ch = channel("ts-kp-client", [GONE]);
    const r = await useCassette(fixture("py-known-peers.yaml"), { recordMode: "none" }, () => ch.raw({ service: SERVICE, endpoint: "echo", body: Buffer.from("kp") }));
    expect(r.body.toString()).toBe("kp");
  });

  it("py-sync.yaml (recorded through tchannel.sync.TChannel) replays with the async client too", async () => {
    const ch = channel();
    const thrift = thriftClient(ch);
    const answers = await useCassette(fixture("py-sync.yaml"), { recordMode: "none" }, async () => [
      (await thrift(kv.KeyValue.setValue({ key: "sync", value: "value" }))).body,
      (await thrift(kv.KeyValue.getValue({ key: "sync" }))).body,
      await thrift(kv.KeyValue.getValue({ key: "missing-key" })).catch((e) => e),
      await ch.raw({ service: SERVICE, endpoint: "echo", body: Buffer.from("sync-raw"), headers: Buffer.from("h"), hostPort: GONE }),
      await jsonClient(ch)({ service: SERVICE, endpoint: "json-echo", body: { sync: true }, headers: { k: "v" }, hostPort: GONE }),
    ]);
    expect(answers[0]).toBeNull(); // void
    expect(answers[1]).toBe("value");
    expect(answers[2]).toBeInstanceOf(kv.NotFoundError);
    const raw = answers[3] as { body: Buffer; headers: Buffer };
    expect([raw.body.toString(), raw.headers.toString()]).toEqual(["sync-raw", "h"]);
    const json = answers[4] as { body: unknown; headers: Record<string, string> };
    expect([json.body, { ...json.headers }]).toEqual([{ sync: true }, { k: "v" }]);
  });

  it("leaves the files as Python wrote them (mode none writes nothing)", () => {
    for (const name of readdirSync(dir).filter((f) => f.endsWith(".yaml"))) expect(readFileSync(join(dir, name), "utf8")).toBe(readFileSync(join(FIXTURES, name), "utf8"));
  });
});

describe("Python 0.15-0.20 cassettes: json headers in the nh:2 format", () => {
  it("replays a json call whose recorded headers are an nh:2 block (empty: !!binary AAA=, or with a header)", async () => {
    const path = join(dir, "py-old-json.yaml");
    const interaction = (body: string, headers: string) => `- request:
    argScheme: 1
    body: !!binary |
      ${Buffer.from(body).toString("base64")}
    endpoint: json-echo
    headers: !!binary |
      ${headers}
    hostPort: 127.0.0.1:38639
    serviceName: keyvalue-server
  response:
    body: !!binary |
      ${Buffer.from(body).toString("base64")}
    code: 0
    headers: !!binary |
      ${headers}
`;
    const text = `interactions:\n${interaction('{"n": 1}', "AAA=")}${interaction('{"n": 2}', "AAEAAmhrAAJodg==")}version: 1\n`;
    writeFileSync(path, text);
    const json = jsonClient(channel());
    const [a, b] = await useCassette(path, { recordMode: "none" }, async () => [
      await json({ service: SERVICE, endpoint: "json-echo", body: { n: 1 }, hostPort: GONE }),
      await json({ service: SERVICE, endpoint: "json-echo", body: { n: 2 }, headers: { hk: "hv" }, hostPort: GONE }),
    ]);
    expect([a!.body, { ...a!.headers }]).toEqual([{ n: 1 }, {}]);
    expect([b!.body, { ...b!.headers }]).toEqual([{ n: 2 }, { hk: "hv" }]);
  });
});
