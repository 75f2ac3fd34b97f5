import { afterEach, describe, expect, it } from "@jest/globals";
import { join } from "node:path";
import { BadRequestError, InvalidArgumentError, SyncTChannel, TChannel, TChannelError, loadThriftSync } from "./index.js";

// One convention for local mistakes, across every entry point and every scheme, in both clients:
// an InvalidArgumentError (a TChannelError with no wire code, not retryable, not from a peer),
// thrown or rejected at the call site before anything is sent. Never BadRequestError, whose code
// 6 means a peer refused the call.

const fixtures = join(__dirname, "..", "..", "thrift", "test", "fixtures");
const store = loadThriftSync(join(fixtures, "kitchen.thrift"), { service: "store" });
/** Nothing listens there: a mistake that got as far as connecting would fail as NetworkError instead. */
const hostPort = "127.0.0.1:1";

const channels: TChannel[] = [];
const syncs: SyncTChannel[] = [];
afterEach(async () => {
  for (const s of syncs.splice(0)) s.close();
  await Promise.all(channels.splice(0).map((c) => c.close()));
});

/** What a call throws or rejects with, whether it is sync or async. */
async function failure(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected the call to fail");
}

function expectLocalMistake(err: unknown, message: RegExp): void {
  expect(err).toBeInstanceOf(InvalidArgumentError);
  expect(err).toBeInstanceOf(TChannelError);
  expect(err).not.toBeInstanceOf(BadRequestError);
  expect(err).toMatchObject({ code: "TCHANNEL_INVALID_ARGUMENT", wireCode: undefined, retry: "not-retryable", fromPeer: false });
  expect((err as Error).message).toMatch(message);
}

/** The calls both clients share (same names, same arguments), so each case runs on each. */
interface Client {
  raw(options: object): unknown;
  json(options: object): unknown;
  thrift(request: unknown, options?: object): unknown;
  call(options: object): unknown;
}

const base = { service: "store", hostPort };
const CALL_CASES: Array<[string, (c: Client) => unknown, RegExp]> = [
  // Argument types and option values.
  ["raw: a number body", (c) => c.raw({ ...base, endpoint: "echo", body: 42 }), /raw body or headers must be a Buffer/],
  ["raw: a number endpoint", (c) => c.raw({ ...base, endpoint: 7 }), /endpoint must be a non-empty string/],
  ["raw: no service", (c) => c.raw({ hostPort, endpoint: "echo" }), /service/],
  ["raw: timeout as a string", (c) => c.raw({ ...base, endpoint: "echo", timeout: "100" }), /timeout/],
  ["raw: a bogus retryOn", (c) => c.raw({ ...base, endpoint: "echo", retryOn: "zz" }), /retryOn/],
  ["call: a number shardKey", (c) => c.call({ ...base, scheme: "raw", arg1: "echo", shardKey: 5 }), /shardKey/],
  ["call: a transport header that is not a string", (c) => c.call({ ...base, scheme: "raw", arg1: "echo", transportHeaders: { k: 1 } }), /transport.*k/],
  // Per-call options are strict: a misspelt key is named with the nearest option, never ignored.
  ["strict: raw, timout", (c) => c.raw({ ...base, endpoint: "echo", timout: 100 }), /^invalid call options: unknown option "timout" \(did you mean "timeout"\?\)$/],
  ["strict: json, retyrOn", (c) => c.json({ ...base, endpoint: "add", body: {}, retyrOn: "n" }), /^invalid call options: unknown option "retyrOn" \(did you mean "retryOn"\?\)$/],
  ["strict: call, hostport", (c) => c.call({ ...base, scheme: "raw", arg1: "echo", hostport: hostPort }), /^invalid call options: unknown option "hostport" \(did you mean "hostPort"\?\)$/],
  ["strict: call, a scheme client's key", (c) => c.call({ ...base, scheme: "raw", arg1: "echo", body: "x" }), /^invalid call options: unknown option "body"$/],
  ["strict: thrift, maxElement", (c) => c.thrift(store.Store.get({ key: "k" }), { hostPort, maxElement: 5 }), /^invalid call options: unknown option "maxElement" \(did you mean "maxElements"\?\)$/],
  // Values a scheme cannot encode.
  ["json: a BigInt body", (c) => c.json({ ...base, endpoint: "add", body: 1n }), /cannot encode the json request: .*BigInt/],
  ["json: a function body", (c) => c.json({ ...base, endpoint: "add", body: () => 1 }), /cannot encode the json request/],
  ["json: a header that is not a string", (c) => c.json({ ...base, endpoint: "add", body: {}, headers: { n: 1 } }), /json header "n" must be a string/],
  ["json: headers as an array", (c) => c.json({ ...base, endpoint: "add", body: {}, headers: [] }), /json headers must be an object of strings/],
  ["thrift: a field of the wrong type", (c) => c.thrift(store.Store.get({ key: 7 as never }), { hostPort }), /cannot encode the thrift request/],
  ["thrift: a union with two members", (c) => c.thrift(store.Store.pick({ v: { text: "a", number: 1n } }), { hostPort }), /exactly one field set, got 2/],
  ["thrift: a required field missing", (c) => c.thrift(store.Store.put({ entry: { ttl: 1n } }), { hostPort }), /required field is missing/],
  ["thrift: a header that is not a string", (c) => c.thrift(store.Store.get({ key: "k" }), { hostPort, headers: { h: 1 } }), /cannot encode the thrift request/],
  ["thrift: a oneway method", (c) => c.thrift(store.Store.touch({ key: "k" }), { hostPort }), /oneway/],
];

describe("local mistakes are InvalidArgumentError, never BadRequestError", () => {
  it.each(CALL_CASES)("async TChannel, %s", async (_name, call, message) => {
    const channel = new TChannel({ name: "caller" });
    channels.push(channel);
    const err = await failure(() => call(channel as unknown as Client));
    expectLocalMistake(err, message);
    expect(channel.pendingCalls).toBe(0);
  });

  it("the sync client throws the same class (and for what a scheme cannot encode, the same message), before its worker starts", async () => {
    const sync = new SyncTChannel({ name: "caller" });
    syncs.push(sync);
    const channel = new TChannel({ name: "caller" });
    channels.push(channel);
    for (const [name, call, message] of CALL_CASES) {
      const fromSync = await failure(() => call(sync as unknown as Client));
      const fromAsync = await failure(() => call(channel as unknown as Client));
      expectLocalMistake(fromSync, message);
      expect([name, (fromSync as Error).constructor]).toEqual([name, (fromAsync as Error).constructor]);
      // Option checks word their messages each its own way (the sync client's come from zod); encoding is shared.
      if (/^(json|thrift|strict):/.test(name)) expect([name, (fromSync as Error).message]).toEqual([name, (fromAsync as Error).message]);
    }
    expect(sync._workerStarts).toBe(0);
  });

  it("constructors, registration and options objects: TChannel, SyncTChannel, thrift, advertise", async () => {
    const cases: Array<[() => unknown, RegExp]> = [
      [() => new TChannel({ name: 7 as never }), /invalid TChannel options: name/],
      [() => new TChannel({ name: "x", timeout: "5000" as never }), /invalid TChannel options: timeout: .*\(got "5000"\)/],
      [() => new SyncTChannel({ name: "x", timeout: Number.NaN }), /invalid SyncTChannel options: timeout/],
      [() => new SyncTChannel({ name: "x", startupTimeout: "1" as never }), /invalid SyncTChannel options: startupTimeout/],
      [() => loadThriftSync(join(fixtures, "keyvalue.thrift"), { service: "" }), /service option must be a non-empty string/],
      [() => store.Store.get({ kee: "k" } as never), /Store::get has no argument "kee"/],
      [() => new store.Entry({ tll: 5n } as never), /Entry has no field "tll"/],
    ];
    for (const [fn, message] of cases) expectLocalMistake(await failure(fn), message);
    const channel = new TChannel({ name: "server" });
    channels.push(channel);
    expectLocalMistake(await failure(() => channel.thrift.register(store.Store, "touch", () => undefined)), /oneway/);
    expectLocalMistake(await failure(() => channel.thrift.register(store.Store, "get", () => "v", { maxElements: -1 })), /invalid thrift.register options: maxElements/);
    expectLocalMistake(await failure(() => channel.raw.register("", () => Buffer.alloc(0))), /endpoint/);
    // advertise rejects (async) and throws (sync) before any router is called.
    expectLocalMistake(await failure(() => channel.advertise({ routers: ["no-port"] })), /invalid advertise options: routers.0: expected host:port \(got "no-port"\)/);
    expectLocalMistake(await failure(() => channel.advertise({} as never)), /exactly one of routers and routerFile/);
    const sync = new SyncTChannel({ name: "advertiser" });
    syncs.push(sync);
    expectLocalMistake(await failure(() => sync.advertise({ routers: ["127.0.0.1:1"], timeout: "100" as never })), /invalid advertise options: timeout: .*\(got "100"\)/);
    expect(sync._workerStarts).toBe(0);
  });

  it("a call over the sender's maxArgSize fails here, before encoding: the caller's limit, not the peer's answer", async () => {
    const channel = new TChannel({ name: "caller", maxArgSize: 100 });
    channels.push(channel);
    expectLocalMistake(await failure(() => channel.raw({ ...base, endpoint: "echo", body: Buffer.alloc(200) })), /200 bytes exceeds maxArgSize/);
  });
});
