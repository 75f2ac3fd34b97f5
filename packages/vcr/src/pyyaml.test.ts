// Cassettes written by this VCR, read by real PyYAML (what tchannel-python loads cassettes with):
// every file loads, every value is the one we recorded, and json request args are spelled as
// Python's json.dumps spells them (tchannel-python's VCR matches them byte for byte).
// PyYAML comes from Debian's python3-yaml (scripts/ensure-system-packages.sh installs it); the
// test fails rather than skips without it, unless TCHANNEL_SKIP_PYYAML=1 says otherwise.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "@jest/globals";
import { BusyError, Response, TChannel, setCallInterceptor, setSyncCallInterceptor } from "@tchannel/channel";
import { jsonClient } from "@tchannel/json";
import { loadThriftSource, thriftClient } from "@tchannel/thrift";
import { type Interaction, parseCassette, serializeCassette, useCassette } from "./index.js";

/** The YAML 1.1 traps and the odd strings: each is an endpoint, a body, a header, an error message. */
const TRICKY = [
  "y", "n", "Y", "N", "yes", "no", "on", "off", "ON", "Off", "true", "False", "~", "null", "NULL", "",
  "1e3", "e1", "+1e5", "1e+3", "0x1", "0o7", "09", "010", "1_000", "12:30:45", ".inf", "-.NaN", "2001-12-14",
  "=", "<<", ":", "#", "- x", "? x", "! x", "& x", "* x", "| x", "> x", "% x", "@x", "`x", "'x'", '"x"', "a: b", "a #b", "{a}", "[a]", ",",
  " lead", "trail ", " ", "\t", "id\tname", "a\nb", "\n", "a\r\nb", "\u0085", "\u2028", "\u2029", "\ufeff", "\u0000", "\u0007", "\u001b", "\u007f", "\u0080", "\u009f",
  "é ü ☃", "😀", "\\", "\\n", "---", "...", "%YAML 1.1",
];
/** Bytes that are not UTF-8 at all, and a large body. */
const BINARY = [Buffer.from([0xff, 0xfe, 0x00, 0x80]), Buffer.from([0xc3]), Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 131) & 0xff))];

/** A Python that can `import yaml` (the PATH's, or Debian's own), or the reason there is none. */
function findPyYaml(): { python: string } | { missing: string } {
  const tried: string[] = [];
  for (const python of ["python3", "/usr/bin/python3"]) {
    try {
      execFileSync(python, ["-c", "import yaml"], { stdio: "pipe" });
      return { python };
    } catch (err) {
      tried.push(`${python}: ${(err as Error).message.split("\n")[0]}`);
    }
  }
  return { missing: tried.join("; ") };
}

/** What PyYAML loads, as JSON: bytes as {"$bytes": base64}; and whether json args are json.dumps spellings. */
const PY_CHECK = `
import base64, json, sys, yaml
def plain(v):
    if isinstance(v, bytes): return {"$bytes": base64.b64encode(v).decode()}
    if isinstance(v, dict): return {k: plain(x) for k, x in v.items()}
    if isinstance(v, list): return [plain(x) for x in v]
    return v
data = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
respelled = []
for i in data["interactions"]:
    r = i["request"]
    if r["argScheme"] == 1:
        for arg in ("headers", "body"):
            text = r[arg].decode("utf-8")
            respelled.append([text, json.dumps(json.loads(text))])
json.dump({"data": plain(data), "json": respelled}, sys.stdout)
`;

const pyyaml = findPyYaml();
const describeWithPyYaml = "python" in pyyaml || process.env.TCHANNEL_SKIP_PYYAML !== "1" ? describe : describe.skip;

const dir = mkdtempSync(join(tmpdir(), "vcr-pyyaml-"));
const open: TChannel[] = [];
afterEach(async () => {
  setCallInterceptor(undefined);
  setSyncCallInterceptor(undefined);
  await Promise.all(open.splice(0).map((c) => c.close()));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Loads `path` with PyYAML; checks every value against our own reading of the file. */
function checkWithPyYaml(path: string): { json: Array<[string, string]> } {
  if (!("python" in pyyaml)) throw new Error(`PyYAML is needed (run scripts/ensure-system-packages.sh, or set TCHANNEL_SKIP_PYYAML=1): ${pyyaml.missing}`);
  const out = JSON.parse(execFileSync(pyyaml.python, ["-c", PY_CHECK, path], { maxBuffer: 64 * 1024 * 1024 }).toString()) as { data: unknown; json: Array<[string, string]> };
  expect(out.data).toEqual(asPython(parseCassette(readFileSync(path, "utf8"), path)));
  return out;
}

/** The cassette as PyYAML should load it: strings as str, bytes fields as bytes, argScheme the enum. */
function asPython(interactions: Interaction[]): unknown {
  const bytes = (b: Buffer | string) => ({ $bytes: Buffer.from(b).toString("base64") });
  return {
    interactions: interactions.map(({ request: r, response: s }) => ({
      request: {
        argScheme: ["raw", "json", "thrift"].indexOf(r.argScheme),
        body: bytes(r.body),
        endpoint: r.endpoint,
        headers: bytes(r.headers),
        hostPort: bytes(r.hostPort),
        knownPeers: r.knownPeers.map(bytes),
        serviceName: r.serviceName,
        transportHeaders: r.transportHeaders.map((h) => ({ key: bytes(h.key), value: bytes(h.value) })),
      },
      response: { body: bytes(s.body), code: s.code, headers: bytes(s.headers), ...(s.error ? { error: s.error } : {}) },
    })),
    version: 1,
  };
}

const IDL = `
exception NotFoundError { 1: required string key }
service KeyValue {
  string getValue(1: string key) throws (1: NotFoundError notFound)
  void setValue(1: string key, 2: string value)
}
`;

describeWithPyYaml("cassettes we write, read by real PyYAML", () => {
  it("raw, json with non-ASCII, thrift and a declared exception, recorded from real calls", async () => {
    const server = new TChannel({ name: "kv" });
    open.push(server);
    server.raw.register("echo", (req) => new Response(req.body, req.headers));
    server.raw.register("busy", () => {
      throw new BusyError("too busy:\tnow\n#1 y");
    });
    for (const name of TRICKY.filter((t) => t !== "")) server.raw.register(name, (req) => new Response(req.body, req.headers));
    jsonClient(server).register("json-echo", (req) => new Response(req.body, req.headers));
    const kv = loadThriftSource(IDL, { service: "kv" });
    const values = new Map<string, string>();
    const thrift = thriftClient(server);
    thrift.register(kv.KeyValue, "getValue", (req) => {
      const value = values.get(req.body.key);
      if (value === undefined) throw new kv.NotFoundError({ key: req.body.key });
      return value;
    });
    thrift.register(kv.KeyValue, "setValue", (req) => void values.set(req.body.key, req.body.value));
    const hostPort = await server.listen();

    const path = join(dir, "recorded.yaml");
    const ch = new TChannel({ name: "ts-client", knownPeers: [hostPort] });
    open.push(ch);
    const json = jsonClient(ch);
    const client = thriftClient(ch);
    const jsonBody = { a: 1, s: "héllo ☃ 😀", tricky: TRICKY, list: [1, 2.5, true, null], nested: { x: { y: [] } } };
    await useCassette(path, async () => {
      for (const t of TRICKY.filter((t) => t !== "")) {
        const r = await ch.raw({ service: "kv", endpoint: t, body: Buffer.from(t), headers: Buffer.from(t), transportHeaders: { "x-tricky": t } });
        expect(r.body.toString()).toBe(t);
      }
      for (const body of BINARY) expect((await ch.raw({ service: "kv", endpoint: "echo", body, headers: body })).body).toEqual(body);
      await expect(ch.raw({ service: "kv", endpoint: "busy", body: Buffer.alloc(0), retryLimit: 0 })).rejects.toThrow(BusyError);
      expect((await json({ service: "kv", endpoint: "json-echo", body: jsonBody, headers: { k: "v", "x-ü": "☃" } })).body).toEqual(jsonBody);
      expect((await json({ service: "kv", endpoint: "json-echo", body: { n: 2 } })).body).toEqual({ n: 2 });
      await client(kv.KeyValue.setValue({ key: "foo", value: "Hello, wörld!" }));
      expect((await client(kv.KeyValue.getValue({ key: "foo" }))).body).toBe("Hello, wörld!");
      await expect(client(kv.KeyValue.getValue({ key: "missing" }))).rejects.toBeInstanceOf(kv.NotFoundError);
    });

    const saved = parseCassette(readFileSync(path, "utf8"), path);
    expect(saved).toHaveLength(TRICKY.length - 1 + BINARY.length + 1 + 2 + 3);
    const { json: spellings } = checkWithPyYaml(path);
    // Every json request arg is exactly what json.dumps writes for its value.
    expect(spellings).toHaveLength(4);
    for (const [recorded, dumped] of spellings) expect(recorded).toBe(dumped);
    expect(spellings[1]![0]).toContain('"s": "h\\u00e9llo \\u2603 \\ud83d\\ude00"');
    // The endpoints came back as the very strings, and the error (our extension) too.
    expect(saved.slice(0, TRICKY.length - 1).map((i) => i.request.endpoint)).toEqual(TRICKY.filter((t) => t !== ""));
    const busy = saved.find((i) => i.request.endpoint === "busy")!;
    expect(busy.response.error).toEqual({ code: 3, type: "BusyError", message: expect.stringContaining("too busy:\tnow\n#1 y") });
    const notFound = saved[saved.length - 1]!;
    expect([notFound.request.endpoint, notFound.response.code]).toEqual(["KeyValue::getValue", 1]);
  });

  it("every tricky string in every string field, empty ones included", () => {
    const path = join(dir, "corpus.yaml");
    const interactions: Interaction[] = TRICKY.map((t, i) => ({
      request: {
        serviceName: t,
        endpoint: t,
        headers: Buffer.from(t),
        body: BINARY[i % BINARY.length]!,
        hostPort: t,
        argScheme: "raw",
        transportHeaders: [{ key: t, value: t }],
        knownPeers: [t],
      },
      response: { code: 1, headers: Buffer.from(t), body: Buffer.from(t), error: { code: 5, type: t, message: t } },
    }));
    writeFileSync(path, serializeCassette(interactions));
    checkWithPyYaml(path);
    const back = parseCassette(readFileSync(path, "utf8"), path);
    expect(back.map((i) => [i.request.serviceName, i.request.endpoint, i.response.error!.message])).toEqual(TRICKY.map((t) => [t, t, t]));
  });
});
