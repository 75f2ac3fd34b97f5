import { afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BadRequestError, BusyError, NetworkError, TChannel, TChannelError, TimeoutError } from "@tchannel/channel";
import { jsonClient } from "@tchannel/json";
import { SyncTChannel } from "@tchannel/sync";
import { ThriftException, type ThriftModule, loadThrift, loadThriftSource, thriftClient } from "@tchannel/thrift";
import { CannotRecordInteractionsError, insertCassette, parseCassette } from "@tchannel/vcr";
import { KEYVALUE_THRIFT, type NodeServer, ensurePeersInstalled, startNodeServer } from "./peers.js";

// @tchannel/vcr cassettes with @tchannel/sync's blocking client: sync calls go through the
// cassette (SyncTChannel consults the sync call interceptor on the calling thread, before its
// worker), recorded against a real tchannel-node 4.0.1 server in another process (a sync call
// blocks this thread, so a server here could not answer), then replayed with that server stopped.
// Here because @tchannel/sync and @tchannel/vcr sit on the same layer and may not use each other.

const SERVICE = "node-server";

let dir: string;
let node: NodeServer | undefined;
const open: Array<{ close(): unknown }> = [];

beforeAll(() => ensurePeersInstalled(), 180_000);

afterEach(async () => {
  for (const c of open.splice(0)) await c.close();
  await node?.stop();
  node = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function cassettePath(): string {
  dir = mkdtempSync(join(tmpdir(), "sync-vcr-"));
  return join(dir, "cassettes", "sync.yaml");
}

function syncClient(): SyncTChannel {
  const client = new SyncTChannel({ name: "sync-vcr", timeout: 5000 });
  open.push(client);
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

/**
 * A copy of tchannel-python's own sync-client cassette (@tchannel/vcr's fixture, recorded by
 * tchannel-python 2.1.0's tchannel.sync.TChannel; README beside it), the address it was recorded
 * against (nothing listens there now) and its IDL loaded for that address.
 */
function pySyncCassette(): { path: string; gone: string; kv: ThriftModule } {
  const fixtures = join(__dirname, "..", "..", "vcr", "test", "fixtures", "tchannel-python");
  const path = cassettePath();
  mkdirSync(join(dir, "cassettes"), { recursive: true });
  copyFileSync(join(fixtures, "py-sync.yaml"), path);
  const gone = "127.0.0.1:38639";
  const kv = loadThriftSource(readFileSync(join(fixtures, "keyvalue.thrift"), "utf8"), { service: "keyvalue-server", hostPort: gone });
  return { path, gone, kv };
}

async function startServer(): Promise<NodeServer> {
  node = await startNodeServer({ service: SERVICE, thriftKeyValue: SERVICE });
  return node;
}

/** The same calls in the record and the replay run: raw, json, thrift, application and protocol errors. */
function makeCalls(sync: SyncTChannel, kv: ThriftModule, hostPort: string) {
  const raw = sync.raw({ service: SERVICE, endpoint: "echo", headers: Buffer.from("h"), body: Buffer.from([0, 1, 2, 0xff]), hostPort });
  const appError = sync.raw({ service: SERVICE, endpoint: "app-error", hostPort });
  const busy = thrown(() => sync.raw({ service: SERVICE, endpoint: "error", headers: Buffer.from("Busy"), body: Buffer.from("full"), hostPort, retryOn: "n" }));
  const unknown = thrown(() => sync.raw({ service: SERVICE, endpoint: "nope", hostPort }));
  const json = sync.json({ service: SERVICE, endpoint: "add", body: { a: 2, b: 40 }, headers: { k: "v" }, hostPort });
  const jsonFail = sync.json({ service: SERVICE, endpoint: "fail", body: {}, hostPort });
  const set = sync.thrift(kv.KeyValue.setValue({ key: "foo", value: "bar" }), { hostPort });
  const got = sync.thrift(kv.KeyValue.getValue({ key: "foo" }), { headers: { t: "1" }, hostPort });
  const missing = thrown(() => sync.thrift(kv.KeyValue.getValue({ key: "missing" }), { hostPort }));
  return { raw, appError, busy, unknown, json, jsonFail, set, got, missing };
}

function expectResults(r: ReturnType<typeof makeCalls>, kv: ThriftModule): void {
  expect(r.raw.body).toEqual(Buffer.from([0, 1, 2, 0xff]));
  expect(r.raw.headers.toString()).toBe("h");
  expect(r.appError.ok).toBe(false);
  expect(r.appError.body.toString()).toBe("err-body");
  expect(r.appError.headers.toString()).toBe("err-head");
  expect(r.busy).toBeInstanceOf(BusyError);
  expect(r.busy.message).toContain("full");
  expect(r.unknown).toBeInstanceOf(BadRequestError);
  expect(r.json.body).toEqual({ sum: 42 });
  expect(r.json.headers).toEqual({ k: "v" });
  expect(r.jsonFail.ok).toBe(false);
  expect(r.jsonFail.body).toEqual({ type: "bad", message: "nope" });
  expect(r.set.body).toBeNull();
  expect(r.got.body).toBe("bar");
  expect(r.got.headers).toEqual({ t: "1" });
  expect(r.missing).toBeInstanceOf(kv.NotFoundError);
  expect(r.missing).toBeInstanceOf(ThriftException);
  expect(r.missing.key).toBe("missing");
}

describe("vcr with SyncTChannel", () => {
  it("records sync raw, json and thrift calls against tchannel-node, then replays them with the server stopped", async () => {
    const path = cassettePath();
    const kv = await loadThrift(KEYVALUE_THRIFT, { service: SERVICE });
    const { hostPort } = await startServer();

    const recording = insertCassette(path);
    const recorder = syncClient();
    let recorded;
    try {
      recorded = makeCalls(recorder, kv, hostPort);
    } finally {
      recording.eject();
    }
    expectResults(recorded, kv);
    expect(recording.recordCount).toBe(0); // saved on eject
    const saved = parseCassette(readFileSync(path, "utf8"), path);
    expect(saved.map((i) => `${i.request.argScheme} ${i.request.endpoint} ${i.response.error?.type ?? i.response.code}`)).toEqual([
      "raw echo 0",
      "raw app-error 1",
      "raw error BusyError",
      "raw nope BadRequestError",
      "json add 0",
      "json fail 1",
      "thrift KeyValue::setValue 0",
      "thrift KeyValue::getValue 0",
      "thrift KeyValue::getValue 1",
    ]);
    expect(saved[0]!.request.transportHeaders).toEqual([
      { key: "as", value: "raw" },
      { key: "cn", value: "sync-vcr" },
    ]);

    await node!.stop();
    node = undefined;
    const replaying = insertCassette(path, { recordMode: "none" });
    const replayer = syncClient();
    let replayed;
    try {
      replayed = makeCalls(replayer, kv, hostPort);
      expect(replaying.playCount).toBe(9);
    } finally {
      replaying.eject();
    }
    expectResults(replayed, kv);
    expect(replayed.busy.message).toBe(recorded.busy.message);
    expect(replayed.unknown.message).toBe(recorded.unknown.message);
    // Nothing reached the network: the client never even started its worker thread.
    expect(replayer._workerStarts).toBe(0);
    // And with the cassette ejected, the same call is a real one again (the server is gone).
    expect(thrown(() => replayer.raw({ service: SERVICE, endpoint: "echo", hostPort }))).toBeInstanceOf(TChannelError);
  });

  it("an unmatched sync call in mode none throws CannotRecordInteractionsError showing the closest interaction", async () => {
    const path = cassettePath();
    const { hostPort } = await startServer();
    const recording = insertCassette(path);
    try {
      syncClient().json({ service: SERVICE, endpoint: "add", body: { a: 1, b: 2 }, hostPort });
    } finally {
      recording.eject();
    }
    const replaying = insertCassette(path, { recordMode: "none" });
    const sync = syncClient();
    try {
      const err = thrown(() => sync.json({ service: SERVICE, endpoint: "add", body: { a: 1, b: 3 }, hostPort }));
      expect(err).toBeInstanceOf(CannotRecordInteractionsError);
      expect(err).not.toBeInstanceOf(TChannelError);
      expect(err.message).toContain('body: "{\\"a\\":1,\\"b\\":3}"');
      expect(err.message).toMatch(/closest recorded interaction \(#1 in the file\) differs in body/);
      // Recorded in Python's json.dumps spelling (tchannel-python matches bodies byte for byte).
      expect(err.closest.request.body.toString()).toBe('{"a": 1, "b": 2}');
      // the recorded one still replays
      expect(sync.json({ service: SERVICE, endpoint: "add", body: { a: 1, b: 2 }, hostPort }).body).toEqual({ sum: 3 });
    } finally {
      replaying.eject();
    }
    expect(sync._workerStarts).toBe(0);
  });

  it("a cassette recorded by async calls replays through sync calls, and one recorded by sync calls through async ones", async () => {
    const kv = await loadThrift(KEYVALUE_THRIFT, { service: SERVICE });
    const { hostPort } = await startServer();
    const asyncPath = cassettePath();
    const syncPath = join(dir, "cassettes", "by-sync.yaml");

    const asyncChannel = new TChannel({ name: "vcr-async" });
    open.push(asyncChannel);
    const json = jsonClient(asyncChannel);
    const thrift = thriftClient(asyncChannel);
    const byAsync = insertCassette(asyncPath);
    try {
      await thrift(kv.KeyValue.setValue({ key: "k", value: "from-async" }), { hostPort });
      await json({ service: SERVICE, endpoint: "add", body: { a: 20, b: 22 }, hostPort });
      await thrift(kv.KeyValue.getValue({ key: "k" }), { hostPort });
      await thrift(kv.KeyValue.getValue({ key: "nokey" }), { hostPort }).catch(() => undefined);
    } finally {
      byAsync.eject();
    }
    const bySync = insertCassette(syncPath);
    try {
      const sync = syncClient();
      sync.raw({ service: SERVICE, endpoint: "echo", body: Buffer.from("from-sync"), hostPort });
      thrown(() => sync.raw({ service: SERVICE, endpoint: "error", headers: Buffer.from("Busy"), body: Buffer.from("full"), hostPort, retryOn: "n" }));
    } finally {
      bySync.eject();
    }
    await node!.stop();
    node = undefined;

    const sync = syncClient();
    const replayAsync = insertCassette(asyncPath, { recordMode: "none" });
    try {
      expect(sync.thrift(kv.KeyValue.setValue({ key: "k", value: "from-async" }), { hostPort }).body).toBeNull();
      expect(sync.json({ service: SERVICE, endpoint: "add", body: { a: 20, b: 22 }, hostPort }).body).toEqual({ sum: 42 });
      expect(sync.thrift(kv.KeyValue.getValue({ key: "k" }), { hostPort }).body).toBe("from-async");
      expect(thrown(() => sync.thrift(kv.KeyValue.getValue({ key: "nokey" }), { hostPort }))).toBeInstanceOf(kv.NotFoundError);
      expect(replayAsync.playCount).toBe(4);
    } finally {
      replayAsync.eject();
    }
    expect(sync._workerStarts).toBe(0);

    const replaySync = insertCassette(syncPath, { recordMode: "none" });
    try {
      const echoed = await asyncChannel.raw({ service: SERVICE, endpoint: "echo", body: Buffer.from("from-sync"), hostPort });
      expect(echoed.body.toString()).toBe("from-sync");
      await expect(asyncChannel.raw({ service: SERVICE, endpoint: "error", headers: Buffer.from("Busy"), body: Buffer.from("full"), hostPort, retryOn: "n" })).rejects.toBeInstanceOf(BusyError);
    } finally {
      replaySync.eject();
    }
  });

  it("nested cassettes see sync calls too: the inner one passes on what it cannot replay", async () => {
    const path = cassettePath();
    const { hostPort } = await startServer();
    const outer = insertCassette(join(dir, "outer.yaml"), { recordMode: "all" });
    const inner = insertCassette(path, { recordMode: "new_episodes" });
    try {
      syncClient().raw({ service: SERVICE, endpoint: "echo", body: Buffer.from("x"), hostPort });
      expect(inner.recordCount).toBe(1);
      expect(outer.recordCount).toBe(1);
      expect(() => outer.eject()).toThrow(/reverse order/);
    } finally {
      inner.eject();
      outer.eject();
    }
  });

  it("never records a sync call's local failures: a timeout measured here, a refused connection", async () => {
    const path = cassettePath();
    const { hostPort } = await startServer();
    const sync = syncClient();
    const recording = insertCassette(path, { recordMode: "new_episodes" });
    try {
      // tchannel-node's "slow" answers after arg3 ms: a 50 ms timeout is ours, not the peer's.
      const timedOut = thrown(() => sync.raw({ service: SERVICE, endpoint: "slow", body: Buffer.from("500"), hostPort, timeout: 50, retryLimit: 0 }));
      expect(timedOut).toBeInstanceOf(TimeoutError);
      expect(timedOut.fromPeer).toBe(false);
      await node!.stop();
      node = undefined;
      const refused = thrown(() => sync.raw({ service: SERVICE, endpoint: "echo", hostPort, retryLimit: 0 }));
      expect(refused).toBeInstanceOf(NetworkError);
      expect(refused.fromPeer).toBe(false);
      expect(recording.recordCount).toBe(0);
    } finally {
      recording.eject();
    }
    expect(existsSync(path)).toBe(false);
  });

  it("replays tchannel-python's own sync-client cassette (py-sync.yaml) through SyncTChannel, mode none, no server", async () => {
    const { path, gone, kv } = pySyncCassette();
    const sync = syncClient();
    const replaying = insertCassette(path, { recordMode: "NONE" });
    try {
      expect(sync.thrift(kv.KeyValue.setValue({ key: "sync", value: "value" })).body).toBeNull();
      expect(sync.thrift(kv.KeyValue.getValue({ key: "sync" })).body).toBe("value");
      const missing = thrown(() => sync.thrift(kv.KeyValue.getValue({ key: "missing-key" })));
      expect(missing).toBeInstanceOf(kv.NotFoundError);
      expect(missing.key).toBe("missing-key");
      const raw = sync.raw({ service: "keyvalue-server", endpoint: "echo", body: Buffer.from("sync-raw"), headers: Buffer.from("h"), hostPort: gone });
      expect([raw.body.toString(), raw.headers.toString()]).toEqual(["sync-raw", "h"]);
      const json = sync.json({ service: "keyvalue-server", endpoint: "json-echo", body: { sync: true }, headers: { k: "v" }, hostPort: gone });
      expect([json.body, { ...json.headers }]).toEqual([{ sync: true }, { k: "v" }]);
      expect(replaying.playCount).toBe(5);
    } finally {
      replaying.eject();
    }
    expect(sync._workerStarts).toBe(0);
  });

  it("started sync calls (start.* + all) replay from a cassette too, answered at once on the calling thread", async () => {
    const { path, gone, kv } = pySyncCassette();
    const sync = syncClient();
    const replaying = insertCassette(path, { recordMode: "none" });
    try {
      const calls = [
        sync.start.thrift(kv.KeyValue.setValue({ key: "sync", value: "value" })),
        sync.start.thrift(kv.KeyValue.getValue({ key: "sync" })),
        sync.start.raw({ service: "keyvalue-server", endpoint: "echo", body: Buffer.from("sync-raw"), headers: Buffer.from("h"), hostPort: gone }),
        sync.start.json({ service: "keyvalue-server", endpoint: "json-echo", body: { sync: true }, headers: { k: "v" }, hostPort: gone }),
      ] as const;
      expect(calls.every((c) => c.done)).toBe(true);
      const [set, got, raw, json] = sync.all(calls);
      expect([set.body, got.body, raw.body.toString(), json.body]).toEqual([null, "value", "sync-raw", { sync: true }]);
      const missing = sync.start.thrift(kv.KeyValue.getValue({ key: "missing-key" }));
      expect(thrown(() => sync.all([missing]))).toBeInstanceOf(kv.NotFoundError);
      const unknown = sync.start.raw({ service: "keyvalue-server", endpoint: "never-recorded", hostPort: gone });
      expect(thrown(() => unknown.result())).toBeInstanceOf(CannotRecordInteractionsError);
    } finally {
      replaying.eject();
    }
    expect(sync._workerStarts).toBe(0);
  });
});
