import { afterAll, afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import { type ChildProcessByStdio, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { createServer } from "node:net";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import type { Readable, Writable } from "node:stream";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import {
  BadRequestError,
  InvalidArgumentError,
  BusyError,
  ChannelClosedError,
  NetworkError,
  NoAvailablePeerError,
  TChannel,
  TChannelError,
  TimeoutError,
  type RawCallOptions,
  setCallInterceptor,
  setSyncCallInterceptor,
} from "@tchannel/channel";
import { jsonClient } from "@tchannel/json";
import { OneWayNotSupportedError, ThriftException, loadThrift, thriftClient } from "@tchannel/thrift";
import { SyncTChannel, SyncWorkerError } from "./index.js";

const fixtures = join(__dirname, "..", "test", "fixtures");
const thriftFixtures = join(__dirname, "..", "..", "thrift", "test", "fixtures");
const SERVICE = "sync-test";

let server: ChildProcessByStdio<Writable, Readable, null>;
let hostPort: string;
const open: SyncTChannel[] = [];
const asyncChannels: TChannel[] = [];

function syncClient(options: Partial<ConstructorParameters<typeof SyncTChannel>[0]> = {}): SyncTChannel {
  const client = new SyncTChannel({ name: "sync-client", ...options });
  open.push(client);
  return client;
}

function asyncClient(): TChannel {
  const client = new TChannel({ name: "sync-client" });
  asyncChannels.push(client);
  return client;
}

function thrown(fn: () => unknown): any {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected a throw");
}

const serverHostPort = () => hostPort;

/** Error messages name the TTL left, which differs from call to call. */
const sameMessage = (message: string) => message.replace(/ttl=\d+ms/, "ttl=…");

beforeAll(async () => {
  expect(existsSync(join(__dirname, "..", "dist", "worker.js"))).toBe(true); // `test` depends on `build`
  server = spawn(process.execPath, [join(fixtures, "server.mjs")], { stdio: ["pipe", "pipe", "inherit"] });
  hostPort = await new Promise<string>((resolve, reject) => {
    server.stdout.once("data", (d: Buffer) => resolve(d.toString().trim()));
    server.once("exit", (code) => reject(new Error(`test server exited with ${code}`)));
  });
}, 30_000); // starting a node process took over jest's 5 s once on a loaded machine

afterEach(async () => {
  setSyncCallInterceptor(undefined);
  setCallInterceptor(undefined);
  for (const client of open.splice(0)) client.close();
  await Promise.all(asyncChannels.splice(0).map((c) => c.close()));
});

afterAll(async () => {
  server.stdin.end();
  if (server.exitCode === null) await new Promise((resolve) => server.once("exit", resolve));
});


/** Runs a fixture script with `arg`; its exit code (null if it had to be killed after 10 s) and stdout. */
async function runChild(script: string, arg: string): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [join(fixtures, script), arg], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => {
      child.kill();
      resolve(null);
    }, 10_000);
    child.once("exit", (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  return { code, out };
}

describe("SyncTChannel calls", () => {
  it("raw: echoes body and headers as Buffers", () => {
    const sync = syncClient();
    const res = sync.raw({ service: SERVICE, endpoint: "echo", body: Buffer.from("hello"), headers: Buffer.from("hdr"), hostPort });
    expect(Buffer.isBuffer(res.body)).toBe(true);
    expect(res.body.toString()).toBe("hello");
    expect(res.headers.toString()).toBe("hdr");
    expect(res.status).toBe(0);
    expect(res.ok).toBe(true);
    expect(res.transport.scheme).toBe("raw");
    expect(res.transport.hostPort).toBe(hostPort);
    // a Buffer from Node's shared pool (a view into 8 KB) and a large body both cross intact
    const big = Buffer.alloc(300_000, 7);
    expect(sync.raw({ service: SERVICE, endpoint: "echo", body: big, hostPort }).body.equals(big)).toBe(true);
    expect(big.length).toBe(300_000); // not transferred away from the caller
  });

  it("json: body, headers and an application error status", () => {
    const sync = syncClient();
    const res = sync.json({ service: SERVICE, endpoint: "add", body: { a: 2, b: 40 }, headers: { k: "v" }, hostPort });
    expect(res.body).toEqual({ sum: 42 });
    expect(res.headers).toEqual({ served: "by-add" });
    const failed = sync.json({ service: SERVICE, endpoint: "fail", hostPort });
    expect(failed.status).toBe(1);
    expect(failed.ok).toBe(false);
    expect(failed.body).toEqual({ reason: "no" });
  });

  it("call: the low-level call with args as bytes", () => {
    const sync = syncClient({ knownPeers: [hostPort] }); // and peers from the channel options
    const r = sync.call({ service: SERVICE, scheme: "raw", arg1: "echo", arg2: Buffer.from("h"), arg3: Buffer.from("b") });
    expect(r.ok).toBe(true);
    expect(Buffer.isBuffer(r.arg3)).toBe(true);
    expect(r.arg3.toString()).toBe("b");
    expect(r.arg2.toString()).toBe("h");
    expect(r.hostPort).toBe(hostPort);
  });

  it("thrift: a module from loadThrift, and the IDL exception as the module's class", async () => {
    const kv = await loadThrift(join(thriftFixtures, "keyvalue.thrift"), { service: SERVICE, hostPort });
    const sync = syncClient();
    expect(sync.thrift(kv.KeyValue.setValue({ key: "foo", value: "Hello, world!" })).body).toBeNull();
    const res = sync.thrift(kv.KeyValue.getValue({ key: "foo" }), { headers: { k: "v" }, timeout: 1000 });
    expect(res.body).toBe("Hello, world!");
    expect(res.headers).toEqual({ found: "yes" });
    expect(res.transport.scheme).toBe("thrift");
    const err = thrown(() => sync.thrift(kv.KeyValue.getValue({ key: "bar" })));
    expect(err).toBeInstanceOf(kv.NotFoundError);
    expect(err).toBeInstanceOf(ThriftException);
    expect(err).toBeInstanceOf(Error);
    expect(err.key).toBe("bar");
    expect(err.name).toBe("NotFoundError");
    const asyncErr = await thriftClient(asyncClient())(kv.KeyValue.getValue({ key: "bar" })).catch((e) => e);
    expect(err.message).toBe(asyncErr.message);
  });

  it("thrift: every kind of value comes back as the async client returns it", async () => {
    const kitchen = await loadThrift(join(thriftFixtures, "kitchen.thrift"), { service: SERVICE, hostPort });
    const sync = syncClient();
    const thrift = thriftClient(asyncClient());
    const entry = new kitchen.Entry({
      key: "k1",
      history: [new Map([["a", 1n]]), new Map()],
      status: "EXPIRED",
      blob: Buffer.from([0, 1, 2, 255]),
      value: new kitchen.Value({ number: 2n ** 40n }),
      tags: new Set([3, 1]),
      ratio: 0.5,
      flag: true,
      small: -3,
      medium: 300,
    });
    expect(sync.thrift(kitchen.Store.put({ entry })).body).toBe(60n); // ttl's IDL default
    // args given as plain objects get their defaults too, as the async client's encoder gives them
    expect(sync.thrift(kitchen.Store.put({ entry: { key: "plain" } })).body).toBe(60n);
    const got = sync.thrift(kitchen.Store.get({ key: "k1" })).body as any;
    const expected = (await thrift(kitchen.Store.get({ key: "k1" }))).body as any;
    expect(got).toEqual(expected);
    expect(got).toBeInstanceOf(kitchen.Entry);
    expect(got.value).toBeInstanceOf(kitchen.Value);
    expect(Buffer.isBuffer(got.blob)).toBe(true);
    expect(got.history[0]).toEqual(new Map([["a", 1n]]));
    expect([...got.tags].sort()).toEqual([1, 3]);
    const node = sync.thrift(kitchen.Store.chain({ n: { n: 1, next: { n: 2, next: { n: 3 } } } })).body as any;
    expect(node).toBeInstanceOf(kitchen.Node);
    expect(node.next.next).toBeInstanceOf(kitchen.Node);
    expect(node.next.next.n).toBe(3);
    // an exception declared in an included file
    const missing = thrown(() => sync.thrift(kitchen.Store.get({ key: "nope" })));
    expect(missing).toBeInstanceOf(kitchen.shared.Missing);
    expect(missing).toMatchObject({ key: "nope", why: "never put" });
    expect(() => sync.thrift(kitchen.Store.touch({ key: "x" }))).toThrow(OneWayNotSupportedError);
  });

  it("thrift is encoded on the calling thread and goes through the low-level call, as the async client's", async () => {
    const kv = await loadThrift(join(thriftFixtures, "keyvalue.thrift"), { service: SERVICE, hostPort });
    const sync = syncClient();
    const seen: RawCallOptions[] = [];
    setSyncCallInterceptor((options, channel, next) => {
      expect(channel).toBe(sync);
      seen.push(options);
      return next(options);
    });
    sync.thrift(kv.KeyValue.setValue({ key: "x", value: "y" }));
    expect(sync.thrift(kv.KeyValue.getValue({ key: "x" }), { headers: { k: "v" } }).body).toBe("y");
    setSyncCallInterceptor(undefined);
    // the same arg1/arg2/arg3 bytes as the async client's thrift call
    const asyncSeen: RawCallOptions[] = [];
    setCallInterceptor((options, _channel, next) => {
      asyncSeen.push(options);
      return next(options);
    });
    try {
      await thriftClient(asyncClient())(kv.KeyValue.getValue({ key: "x" }), { headers: { k: "v" } });
    } finally {
      setCallInterceptor(undefined);
    }
    expect(seen.map((o) => [o.scheme, o.arg1, o.service, o.hostPort])).toEqual([
      ["thrift", "KeyValue::setValue", SERVICE, hostPort],
      ["thrift", "KeyValue::getValue", SERVICE, hostPort],
    ]);
    expect(Buffer.from(seen[1]!.arg2!)).toEqual(Buffer.from(asyncSeen[0]!.arg2!));
    expect(Buffer.from(seen[1]!.arg3!)).toEqual(Buffer.from(asyncSeen[0]!.arg3!));
    // a new worker (after a crash) needs nothing but the bytes
    sync._crashWorker();
    expect(() => sync.thrift(kv.KeyValue.getValue({ key: "x" }))).toThrow(SyncWorkerError);
    expect(sync.thrift(kv.KeyValue.getValue({ key: "x" })).body).toBe("y");
  });
});

describe("started calls: start N, block once for all", () => {
  it("runs 10 calls of 200 ms concurrently in the worker: all() returns well under 10 x 200 ms, results in order", () => {
    const sync = syncClient();
    sync.raw({ service: SERVICE, endpoint: "echo", hostPort }); // the worker is up
    for (let round = 0; round < 3; round++) {
      const started = performance.now();
      const calls = Array.from({ length: 10 }, (_, i) => sync.start.raw({ service: SERVICE, endpoint: "slow", body: Buffer.from(`200${" ".repeat(i)}`), hostPort }));
      // Starting does not wait for an answer (one would take 200 ms); room for a loaded machine.
      expect(performance.now() - started).toBeLessThan(150);
      const results = sync.all(calls);
      const elapsed = performance.now() - started;
      expect(results.map((r) => r.body.toString())).toEqual(Array.from({ length: 10 }, (_, i) => `200${" ".repeat(i)}`));
      // Sequential calls would take >= 2,000 ms; a generous bound, the machine may be loaded.
      expect(elapsed).toBeGreaterThanOrEqual(195);
      expect(elapsed).toBeLessThan(1200);
    }
    expect(sync._workerStarts).toBe(1);
  });

  it("every scheme starts, and each handle's result() blocks for its own call and gives the same answer twice", async () => {
    const sync = syncClient();
    const kv = await loadThrift(join(thriftFixtures, "keyvalue.thrift"), { service: SERVICE });
    const set = sync.start.thrift(kv.KeyValue.setValue({ key: "started", value: "v" }), { hostPort });
    expect(set.result().body).toBeNull();
    const raw = sync.start.raw({ service: SERVICE, endpoint: "echo", body: Buffer.from("r"), headers: Buffer.from("h"), hostPort });
    const json = sync.start.json({ service: SERVICE, endpoint: "add", body: { a: 1, b: 2 }, hostPort });
    const got = sync.start.thrift(kv.KeyValue.getValue({ key: "started" }), { hostPort });
    const missing = sync.start.thrift(kv.KeyValue.getValue({ key: "nope" }), { hostPort });
    const low = sync.start.call({ service: SERVICE, scheme: "raw", arg1: "echo", arg2: Buffer.from("a2"), arg3: Buffer.from("a3"), hostPort });
    const slow = sync.start.raw({ service: SERVICE, endpoint: "slow", body: Buffer.from("300"), hostPort });
    expect(json.result().body).toEqual({ sum: 3 });
    expect(json.result().body).toEqual({ sum: 3 });
    expect(raw.done).toBe(true); // its answer came meanwhile and was kept
    expect(slow.done).toBe(false);
    expect([raw.result().body.toString(), raw.result().headers.toString()]).toEqual(["r", "h"]);
    expect(got.result().body).toBe("v");
    expect(thrown(() => missing.result())).toBeInstanceOf(kv.NotFoundError);
    expect(thrown(() => missing.result())).toBeInstanceOf(kv.NotFoundError);
    expect(low.result().arg3.toString()).toBe("a3");
    expect(slow.result().body.toString()).toBe("300");
  });

  it("all() waits for every call, then throws the first failure in list order; each handle keeps its own outcome", () => {
    const sync = syncClient();
    const slow = sync.start.raw({ service: SERVICE, endpoint: "slow", body: Buffer.from("200"), hostPort });
    const unknown = sync.start.raw({ service: SERVICE, endpoint: "nope", hostPort });
    const timedOut = sync.start.raw({ service: SERVICE, endpoint: "slow", body: Buffer.from("2000"), hostPort, timeout: 100 });
    const ok = sync.start.raw({ service: SERVICE, endpoint: "echo", body: Buffer.from("fine"), hostPort });
    const err = thrown(() => sync.all([slow, unknown, timedOut, ok]));
    expect(err).toBeInstanceOf(BadRequestError);
    expect(slow.done && unknown.done && timedOut.done && ok.done).toBe(true);
    expect(slow.result().body.toString()).toBe("200");
    expect(thrown(() => timedOut.result())).toBeInstanceOf(TimeoutError);
    expect(ok.result().body.toString()).toBe("fine");
    expect(sync.all([])).toEqual([]);
    // A failure to start (a closed client) is the handle's, thrown by result().
    const closed = syncClient();
    closed.close();
    expect(thrown(() => closed.start.raw({ service: SERVICE, endpoint: "echo", hostPort }).result())).toBeInstanceOf(ChannelClosedError);
  });

  it("a hung worker fails the overdue call with TimeoutError and the others in flight with SyncWorkerError, then is replaced", () => {
    const sync = syncClient();
    sync.raw({ service: SERVICE, endpoint: "echo", hostPort });
    sync._hangWorker(10_000);
    const calls = [0, 1, 2].map(() => sync.start.raw({ service: SERVICE, endpoint: "echo", hostPort, timeout: 200 }));
    const outcomes = calls.map((c) => thrown(() => c.result()));
    expect(outcomes[0]).toBeInstanceOf(TimeoutError);
    expect(outcomes[0].message).toMatch(/the sync worker did not answer/);
    for (const e of outcomes.slice(1)) {
      expect(e).toBeInstanceOf(SyncWorkerError);
      expect(e.message).toMatch(/replaced while this call was in flight/);
    }
    expect(sync.raw({ service: SERVICE, endpoint: "echo", body: Buffer.from("again"), hostPort }).body.toString()).toBe("again");
    expect(sync._workerStarts).toBe(2);
  });

  it("inside a sync call interceptor (a cassette), a started call is answered or made at once, in call order", () => {
    const seen: string[] = [];
    setSyncCallInterceptor((options, _channel, next) => {
      seen.push(String(options.arg1));
      return options.arg1 === "canned" ? { ok: true, code: 0, arg2: Buffer.alloc(0), arg3: Buffer.from("from the interceptor"), headers: { as: "raw" }, hostPort: "x:1" } : next(options);
    });
    const sync = syncClient();
    const canned = sync.start.raw({ service: SERVICE, endpoint: "canned", hostPort });
    const real = sync.start.raw({ service: SERVICE, endpoint: "echo", body: Buffer.from("real"), hostPort });
    expect([canned.done, real.done]).toEqual([true, true]);
    expect(sync.all([canned, real]).map((r) => r.body.toString())).toEqual(["from the interceptor", "real"]);
    expect(seen).toEqual(["canned", "echo"]);
  });
});

describe("setSyncCallInterceptor", () => {

  it("sees every raw and json call of every sync client, with the client, before the worker", () => {
    const a = syncClient({ name: "client-a", knownPeers: [hostPort] });
    const b = syncClient({ name: "client-b" });
    const seen: string[] = [];
    setSyncCallInterceptor((options, channel, next) => {
      seen.push(`${channel.name} [${channel.knownPeers.join(",")}] ${options.scheme} ${options.service}::${String(options.arg1)} ${Buffer.from(options.arg3 ?? []).toString()}`);
      return next(options);
    });
    expect(a.raw({ service: SERVICE, endpoint: "echo", body: Buffer.from("hi") }).body.toString()).toBe("hi");
    expect(b.json({ service: SERVICE, endpoint: "add", body: { a: 1, b: 2 }, hostPort }).body).toEqual({ sum: 3 });
    expect(seen).toEqual([`client-a [${hostPort}] raw ${SERVICE}::echo hi`, `client-b [] json ${SERVICE}::add {"a":1,"b":2}`]);
  });

  it("stands in for the call: its result is decoded by the scheme, what it throws is thrown, and no worker starts", () => {
    const sync = syncClient();
    setSyncCallInterceptor((options) => {
      if (options.arg1 === "busy") throw new BusyError("recorded busy", { service: options.service, endpoint: "busy" });
      return { ok: true, code: 0, arg2: Buffer.from('{"h":"1"}'), arg3: Buffer.from('{"stood":"in"}'), headers: { as: "json" }, hostPort: "10.0.0.1:1" };
    });
    const res = sync.json({ service: "nowhere", endpoint: "anything" });
    expect(res.body).toEqual({ stood: "in" });
    expect(res.headers).toEqual({ h: "1" });
    expect(res.transport.hostPort).toBe("10.0.0.1:1");
    expect(thrown(() => sync.raw({ service: "nowhere", endpoint: "busy" }))).toBeInstanceOf(BusyError);
    expect(sync._workerStarts).toBe(0);
  });

  it("may change the call it passes on", () => {
    const sync = syncClient();
    setSyncCallInterceptor((options, _channel, next) => next({ ...options, hostPort, arg3: Buffer.from("changed") }));
    expect(sync.raw({ service: SERVICE, endpoint: "echo", body: Buffer.from("orig"), hostPort: "127.0.0.1:1" }).body.toString()).toBe("changed");
  });
});

describe("SyncTChannel errors", () => {
  it("throws the async client's error classes, with the same messages", async () => {
    const sync = syncClient();
    const client = asyncClient();
    const cases: Array<[string, () => unknown, () => Promise<unknown>]> = [
      ["unknown endpoint", () => sync.raw({ service: SERVICE, endpoint: "nope", hostPort }), () => client.raw({ service: SERVICE, endpoint: "nope", hostPort })],
      ["no peer", () => sync.raw({ service: SERVICE, endpoint: "echo" }), () => client.raw({ service: SERVICE, endpoint: "echo" })],
    ];
    for (const [, callSync, callAsync] of cases) {
      const expected: any = await callAsync().catch((e) => e);
      const err = thrown(callSync);
      expect(err.constructor).toBe(expected.constructor);
      expect(sameMessage(err.message)).toBe(sameMessage(expected.message));
    }
    expect(thrown(cases[0]![1])).toBeInstanceOf(BadRequestError);
    expect(thrown(cases[1]![1])).toBeInstanceOf(NoAvailablePeerError);
    const unknown = thrown(cases[0]![1]);
    expect(unknown).toBeInstanceOf(TChannelError);
    expect(unknown).toMatchObject({ code: "TCHANNEL_BAD_REQUEST", service: SERVICE, endpoint: "nope", hostPort });
  });

  it("a request the scheme cannot encode is the caller's InvalidArgumentError (never BadRequestError, which the peer sends), before any worker", async () => {
    const sync = syncClient();
    const kv = await loadThrift(join(thriftFixtures, "keyvalue.thrift"), { service: SERVICE });
    const cases: Array<[() => unknown, RegExp]> = [
      [() => sync.json({ service: SERVICE, endpoint: "add", body: 1n, hostPort }), /cannot encode the json request: .*BigInt/],
      [() => sync.json({ service: SERVICE, endpoint: "add", body: {}, headers: { n: 1 as unknown as string }, hostPort }), /json header "n" must be a string/],
      [() => sync.json({ service: SERVICE, endpoint: "add", body: {}, headers: [] as never, hostPort }), /cannot encode the json request/],
      [() => sync.thrift(kv.KeyValue.getValue({ key: 7 as unknown as string }), { hostPort }), /cannot encode the thrift request/],
      [() => sync.thrift(kv.KeyValue.getValue({ key: "k" }), { headers: { h: 1 as unknown as string }, hostPort }), /cannot encode the thrift request/],
      [() => sync.start.json({ service: SERVICE, endpoint: "add", body: 1n, hostPort }), /cannot encode the json request/],
    ];
    for (const [call, message] of cases) {
      const err = thrown(call);
      expect(`${err.constructor.name}: ${err.message}`).toMatch(/^InvalidArgumentError: /);
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect(err).not.toBeInstanceOf(BadRequestError);
      expect(err).toMatchObject({ code: "TCHANNEL_INVALID_ARGUMENT", wireCode: undefined, retry: "not-retryable", fromPeer: false });
      expect(err.message).toMatch(message);
    }
    expect(sync._workerStarts).toBe(0);
  });

  it("validates per-call options as the constructor validates its own: an argument error at once, the worker kept", () => {
    const sync = syncClient();
    expect(sync.raw({ service: SERVICE, endpoint: "echo", body: Buffer.from("up"), hostPort }).body.toString()).toBe("up");
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ timeout: "100" }, /invalid call options: timeout: .*\(got "100"\)/],
      [{ timeout: Number.NaN }, /timeout: .*\(got NaN\)/],
      [{ timeout: Infinity }, /timeout/],
      [{ timeout: -5 }, /timeout: .*\(got -5\)/],
      [{ timeout: 1.5 }, /timeout/],
      [{ retryLimit: -1 }, /retryLimit/],
      [{ retryOn: "always" }, /retryOn/],
      [{ hostPort: "nowhere" }, /hostPort: expected host:port \(got "nowhere"\)/],
      [{ hostPort: 4040 }, /hostPort/],
      [{ service: "" }, /service/],
      [{ transportHeaders: { k: 1 } }, /transportHeaders.k/],
      [{ checksumType: 9 }, /checksumType/],
    ];
    for (const [bad, message] of cases) {
      for (const call of [() => sync.raw({ service: SERVICE, endpoint: "echo", hostPort, ...bad } as never), () => sync.start.raw({ service: SERVICE, endpoint: "echo", hostPort, ...bad } as never)]) {
        const started = performance.now();
        const err = thrown(call);
        expect(performance.now() - started).toBeLessThan(1000); // at once, not after the 30 s timeout
        expect(err.constructor).toBe(InvalidArgumentError);
        expect(err.message).toMatch(message);
        expect(err.name).not.toBe("ZodError");
      }
    }
    expect(sync.raw({ service: SERVICE, endpoint: "echo", body: Buffer.from("still up"), hostPort }).body.toString()).toBe("still up");
    expect(sync._workerStarts).toBe(1);
    expect(() => new SyncTChannel({ name: "x", startupTimeout: "1" as never })).toThrow(InvalidArgumentError);
    expect(() => new SyncTChannel({ name: "x", timeout: Number.NaN })).toThrow(InvalidArgumentError);
    expect(() => new SyncTChannel({ name: 7 as never })).toThrow(/invalid SyncTChannel options: name/);
  });

  it("per-call options are strict at every entry point: an unknown key names the nearest option, and each entry keeps its own keys", async () => {
    const sync = syncClient();
    const kv = await loadThrift(join(thriftFixtures, "keyvalue.thrift"), { service: SERVICE });
    const cases: Array<[() => unknown, RegExp]> = [
      [() => sync.raw({ service: SERVICE, endpoint: "echo", hostPort, timout: 100 } as never), /^invalid call options: unknown option "timout" \(did you mean "timeout"\?\)$/],
      [() => sync.json({ service: SERVICE, endpoint: "add", body: {}, hostPort, retyrOn: "n" } as never), /unknown option "retyrOn" \(did you mean "retryOn"\?\)/],
      [() => sync.call({ service: SERVICE, scheme: "raw", arg1: "echo", hostPort, endpoint: "echo" } as never), /unknown option "endpoint"/],
      [() => sync.thrift(kv.KeyValue.getValue({ key: "k" }), { hostPort, maxElement: 5 } as never), /unknown option "maxElement" \(did you mean "maxElements"\?\)/],
      [() => sync.start.raw({ service: SERVICE, endpoint: "echo", hostPort, colour: "red" } as never), /^invalid call options: unknown option "colour"$/],
      [() => sync.start.call({ service: SERVICE, scheme: "raw", arg1: "echo", hostPort, body: "x" } as never), /unknown option "body"/],
      [() => sync.start.thrift(kv.KeyValue.getValue({ key: "k" }), { hostPort, hostport: "x" } as never), /unknown option "hostport" \(did you mean "hostPort"\?\)/],
      [() => sync.raw({ service: SERVICE, endpoint: "echo", hostPort, timeoutPerAttempt: "5" } as never), /timeoutPerAttempt/],
    ];
    for (const [call, message] of cases) {
      const err = thrown(call);
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect(err.message).toMatch(message);
    }
    expect(sync._workerStarts).toBe(0);
    // Every documented key of each entry is taken (scheme and thrift keys travel down in the encoded call).
    const res = sync.raw({ service: SERVICE, endpoint: "echo", body: Buffer.from("b"), headers: Buffer.from("h"), hostPort, timeout: 5000, timeoutPerAttempt: 5000, retryOn: "n", retryLimit: 0, shardKey: "s", routingDelegate: "r", callerName: "c", checksumType: 3, transportHeaders: { k: "v" } });
    expect(res.body.toString()).toBe("b");
    expect(sync.thrift(kv.KeyValue.setValue({ key: "k", value: "v" }), { hostPort, headers: { h: "1" }, maxElements: 10, service: SERVICE }).body).toBeNull();
  });

  it("forwards timeoutPerAttempt to the worker: an attempt on a slow endpoint ends at it, not at the call's timeout", () => {
    const sync = syncClient();
    const started = performance.now();
    const err = thrown(() => sync.raw({ service: SERVICE, endpoint: "slow", body: Buffer.from("6000"), hostPort, timeout: 10_000, timeoutPerAttempt: 300, retryOn: "n" }));
    expect(err).toBeInstanceOf(TimeoutError);
    expect(performance.now() - started).toBeLessThan(5000); // the 6 s answer or the 10 s budget would be later
  });

  it("times out a slow endpoint with TimeoutError", () => {
    const sync = syncClient();
    const started = performance.now();
    const err = thrown(() => sync.raw({ service: SERVICE, endpoint: "slow", body: Buffer.from("5000"), hostPort, timeout: 200 }));
    const elapsed = performance.now() - started;
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err.retry).toBe("maybe-retryable");
    expect(elapsed).toBeGreaterThanOrEqual(190);
    expect(elapsed).toBeLessThan(4500); // the answer would come at 5 s; room for a loaded machine
    // the channel's default timeout applies too
    const short = syncClient({ timeout: 150 });
    expect(() => short.raw({ service: SERVICE, endpoint: "slow", body: Buffer.from("5000"), hostPort })).toThrow(TimeoutError);
    expect(sync.raw({ service: SERVICE, endpoint: "echo", body: Buffer.from("still fine"), hostPort }).body.toString()).toBe("still fine");
  });

  it("a dead server is a NetworkError", async () => {
    const probe = createServer();
    const port = await new Promise<number>((resolve) => probe.listen(0, "127.0.0.1", () => resolve((probe.address() as { port: number }).port)));
    await new Promise((resolve) => probe.close(resolve));
    const sync = syncClient();
    const err = thrown(() => sync.raw({ service: SERVICE, endpoint: "echo", hostPort: `127.0.0.1:${port}`, retryLimit: 0 }));
    expect(err).toBeInstanceOf(NetworkError);
    expect(err.message).toMatch(/could not connect/);
  });

  it("refuses what cannot cross threads or cannot happen: AbortSignal, closed channels, bad options", () => {
    const sync = syncClient();
    expect(() => sync.raw({ service: SERVICE, endpoint: "echo", hostPort, signal: new AbortController().signal })).toThrow(InvalidArgumentError);
    sync.close();
    sync.close();
    expect(() => sync.raw({ service: SERVICE, endpoint: "echo", hostPort })).toThrow(ChannelClosedError);
    expect(() => new SyncTChannel({ name: "" })).toThrow();
    expect(() => new SyncTChannel({ name: "x", knownPeers: ["no-port"] })).toThrow(/host:port/);
  });

  it("names the likely deadlock when the timed-out peer listens in this process", async () => {
    const local = asyncClient();
    local.raw.register("echo", (req) => req.body);
    const localHostPort = await local.listen();
    const sync = syncClient();
    // The server's thread is this one, blocked in the call: it can never answer.
    const err = thrown(() => sync.raw({ service: "sync-client", endpoint: "echo", hostPort: localHostPort, timeout: 300 }));
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err.message).toMatch(/is a port this process listens on/);
    // a timeout from a server elsewhere has no such note
    const remote = thrown(() => sync.raw({ service: SERVICE, endpoint: "slow", body: Buffer.from("1000"), hostPort, timeout: 100 }));
    expect(remote.message).not.toMatch(/this process listens/);
  });
});

describe("SyncTChannel worker", () => {
  it("makes 1000 sequential calls on one worker without growing the heap or the handles", () => {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const threads = () => (existsSync("/proc/self/task") ? readdirSync("/proc/self/task").length : 0);
    const sync = syncClient();
    const body = Buffer.from("x".repeat(100));
    for (let i = 0; i < 200; i++) sync.raw({ service: SERVICE, endpoint: "echo", body, hostPort });
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const handlesBefore = process.getActiveResourcesInfo().length;
    const threadsBefore = threads();
    for (let i = 0; i < 1000; i++) {
      const res = sync.raw({ service: SERVICE, endpoint: "echo", body, hostPort });
      if (res.body.length !== 100) throw new Error(`call ${i}: bad body`);
    }
    gc();
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(4 * 1024 * 1024);
    expect(process.getActiveResourcesInfo().length).toBe(handlesBefore);
    expect(threads()).toBe(threadsBefore);
    expect(sync._workerStarts).toBe(1);
  });

  it("a crashed worker fails the next call with SyncWorkerError, then is restarted", () => {
    const sync = syncClient();
    const echo = () => sync.raw({ service: SERVICE, endpoint: "echo", body: Buffer.from("ok"), hostPort }).body.toString();
    expect(echo()).toBe("ok");
    sync._crashWorker();
    const err = thrown(echo);
    expect(err).toBeInstanceOf(SyncWorkerError);
    expect(err).toBeInstanceOf(TChannelError);
    expect(err.message).toMatch(/crash requested by a test/);
    expect(echo()).toBe("ok");
    expect(sync._workerStarts).toBe(2);
  });

  it("a crash noticed between calls is reported the same way", async () => {
    const sync = syncClient();
    sync.raw({ service: SERVICE, endpoint: "echo", hostPort });
    sync._crashWorker();
    await new Promise((resolve) => setTimeout(resolve, 200)); // the event loop sees 'exit'
    expect(() => sync.raw({ service: SERVICE, endpoint: "echo", hostPort })).toThrow(SyncWorkerError);
    expect(sync.raw({ service: SERVICE, endpoint: "echo", body: Buffer.from("back"), hostPort }).body.toString()).toBe("back");
  });

  it("enforces the timeout when the worker itself hangs, and replaces the worker", () => {
    const sync = syncClient();
    sync.raw({ service: SERVICE, endpoint: "echo", hostPort });
    sync._hangWorker(10_000);
    const started = performance.now();
    const err = thrown(() => sync.raw({ service: SERVICE, endpoint: "echo", hostPort, timeout: 200 }));
    const elapsed = performance.now() - started;
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err.message).toMatch(/the sync worker did not answer/);
    expect(elapsed).toBeGreaterThanOrEqual(650);
    expect(elapsed).toBeLessThan(3000);
    expect(sync.raw({ service: SERVICE, endpoint: "echo", body: Buffer.from("again"), hostPort }).body.toString()).toBe("again");
    expect(sync._workerStarts).toBe(2);
  });

  it("does not hold the process open: a child that never closes its client exits at once", async () => {
    const started = performance.now();
    const { code, out } = await runChild("exit-child.mjs", hostPort);
    expect(code).toBe(0);
    expect(out.trim()).toBe("bye");
    expect(performance.now() - started).toBeLessThan(8000);
  });

  it("works from `node -e`: the worker does not inherit the evaluated script", async () => {
    const script = `import { SyncTChannel } from "@tchannel/sync";
      const sync = new SyncTChannel({ name: "eval-child", startupTimeout: 5000 });
      console.log(sync.raw({ service: "sync-test", endpoint: "echo", body: "from eval", hostPort: ${JSON.stringify(hostPort)} }).body.toString());`;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { cwd: join(__dirname, ".."), stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        child.kill();
        resolve(null);
      }, 15_000);
      child.once("exit", (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    expect({ code, out: out.trim(), err }).toEqual({ code: 0, out: "from eval", err: "" });
  });

  it("starts no thread until the first call", () => {
    const sync = syncClient();
    expect(sync._workerStarts).toBe(0);
    expect(() => sync.json({ service: SERVICE, endpoint: "add", body: { a: 1, b: 1 }, hostPort })).not.toThrow();
    expect(sync._workerStarts).toBe(1);
  });
});

describe("SyncTChannel routers", () => {
  it("carries calls without hostPort through the routers, set before or after the worker starts, and after a restart", async () => {
    // The test server plays the router: it serves the called service itself.
    const echo = (sync: SyncTChannel, body: string) => sync.raw({ service: SERVICE, endpoint: "echo", body: Buffer.from(body) });
    const before = syncClient();
    expect(() => echo(before, "x")).toThrow(NoAvailablePeerError);
    before.setRouters([hostPort]);
    expect(echo(before, "routed").transport.hostPort).toBe(hostPort);
    const early = syncClient();
    early.setRouters([hostPort]);
    expect(echo(early, "early").body.toString()).toBe("early");
    early._crashWorker();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(() => echo(early, "x")).toThrow(SyncWorkerError);
    expect(echo(early, "after restart").body.toString()).toBe("after restart");
    early.setRouters([]);
    expect(() => echo(early, "x")).toThrow(NoAvailablePeerError);
    expect(() => early.setRouters(["no-port"])).toThrow(InvalidArgumentError);
  });
});

describe("SyncTChannel worker extensions", () => {
  const listenExtension = pathToFileURL(join(fixtures, "listen-extension.mjs"));
  const extended = (extra: (string | URL)[] = []) => syncClient({ workerExtensions: [listenExtension, ...extra] });

  it("invoke runs an extension's operation on the worker's channel and returns its structured-cloned result", () => {
    const sync = extended();
    expect(sync.invoke("state")).toEqual({ listening: false, hostPort: undefined });
    const hostPort = sync.invoke<string>("listen");
    expect(hostPort).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(sync.invoke("state")).toEqual({ listening: true, hostPort });
    const args = { n: 1n, when: new Date(0), bytes: Buffer.from("ab"), nested: new Map([["k", [1, 2]]]) };
    const back = sync.invoke<typeof args>("echo", args);
    expect(back.n).toBe(1n);
    expect(back.when).toEqual(new Date(0));
    expect(Buffer.from(back.bytes).toString()).toBe("ab"); // a Uint8Array: structured clone keeps no Buffer
    expect(back.nested.get("k")).toEqual([1, 2]);
    // calls still go through the same channel
    expect(sync.raw({ service: SERVICE, endpoint: "echo", body: Buffer.from("x"), hostPort: serverHostPort() }).body.toString()).toBe("x");
  });

  it("throws what the operation throws, as the same class; unknown names and uncloneable args are refused", () => {
    const sync = extended();
    const timeout = thrown(() => sync.invoke("timeout", "svc"));
    expect(timeout).toBeInstanceOf(TimeoutError);
    expect(timeout.message).toBe("the extension gave up");
    expect(timeout.service).toBe("svc");
    expect(thrown(() => sync.invoke("nope"))).toBeInstanceOf(InvalidArgumentError);
    expect(thrown(() => sync.invoke("echo", () => 1))).toBeInstanceOf(InvalidArgumentError); // cannot be cloned: nothing was sent
    expect(thrown(() => sync.invoke("echo", 1, { timeout: "5" as never }))).toBeInstanceOf(InvalidArgumentError);
    expect(thrown(() => sync.invoke("echo", 1, { timout: 5 } as never)).message).toMatch(/unknown option "timout" \(did you mean "timeout"\?\)/);
    expect(sync.invoke("echo", "still fine")).toBe("still fine");
  });

  it("bounds an operation by its timeout, then replaces the worker", () => {
    const sync = extended();
    const err = thrown(() => sync.invoke("sleep", 5000, { timeout: 100 }));
    expect(err).toBeInstanceOf(TimeoutError);
    expect(sync.invoke("sleep", 1)).toBe(1);
    expect(sync._workerStarts).toBe(2);
  });

  it("replays `replay: true` invocations in a restarted worker", async () => {
    const sync = extended();
    sync.invoke("listen", undefined, { replay: true });
    sync._crashWorker();
    await new Promise((resolve) => setTimeout(resolve, 200)); // let it die before the next request
    expect(thrown(() => sync.invoke("state"))).toBeInstanceOf(SyncWorkerError);
    const state = sync.invoke<{ listening: boolean }>("state"); // a new worker, listening again
    expect(state.listening).toBe(true);
    expect(sync._workerStarts).toBe(2);
  });

  it("runs the extensions' close hooks when the client closes", () => {
    const dir = mkdtempSync(join(tmpdir(), "sync-ext-"));
    const sync = extended();
    sync.invoke("listen");
    sync.invoke("markOnClose", join(dir, "mark"));
    sync.close();
    expect(readFileSync(join(dir, "mark"), "utf8")).toBe("closed while listening");
    expect(() => sync.invoke("state")).toThrow(ChannelClosedError);
  });

  it("takes URLs and paths but not bare specifiers; a bad extension fails the worker's start", () => {
    expect(() => new SyncTChannel({ name: "x", workerExtensions: ["@tchannel/hyperbahn/sync-extension"] })).toThrow(/bare specifier/);
    const relativePath = "./" + relative(process.cwd(), join(fixtures, "listen-extension.mjs"));
    expect(syncClient({ workerExtensions: [relativePath] }).invoke("echo", 7)).toBe(7);
    expect(syncClient({ workerExtensions: [join(fixtures, "listen-extension.mjs")] }).invoke("echo", 8)).toBe(8);
    const noDefault = thrown(() => extended([join(fixtures, "no-default-extension.mjs")]).invoke("echo"));
    expect(noDefault).toBeInstanceOf(SyncWorkerError);
    expect(noDefault.message).toMatch(/no default export function/);
    const clash = thrown(() => extended([join(fixtures, "clash-extension.mjs")]).invoke("echo"));
    expect(clash).toBeInstanceOf(SyncWorkerError);
    expect(clash.message).toMatch(/defines "echo", which an earlier extension defines too/);
  });

  it("a listening worker does not hold the process open either", async () => {
    const { code, out } = await runChild("exit-listening-child.mjs", serverHostPort());
    expect(code).toBe(0);
    expect(out.trim()).toBe("bye listening");
  }, 30_000); // a node process and its worker: > 5 s (jest's default) once in a full dependents run on the loaded machine
});
