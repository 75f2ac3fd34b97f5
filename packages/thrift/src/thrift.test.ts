import { afterEach, describe, expect, it } from "@jest/globals";
import { join } from "node:path";
import { BadRequestError, InvalidArgumentError, Response, TChannel, UnexpectedError } from "@tchannel/channel";
import { ThriftCodecError, decodeStruct, encodeStruct } from "./binary-codec.js";
import { type ThriftCallOptions, thriftClient } from "./thrift-client.js";
import { OneWayNotSupportedError, ThriftException, ValueExpectedError } from "./thrift-errors.js";
import { loadThrift, loadThriftSync, type ThriftMethod } from "./thrift-module.js";

const fixtures = join(__dirname, "..", "test", "fixtures");
const open: TChannel[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});
function channel(name: string): TChannel {
  const ch = new TChannel({ name });
  open.push(ch);
  return ch;
}

async function keyvalueServer() {
  const kv = await loadThrift(join(fixtures, "keyvalue.thrift"), { service: "keyvalue" });
  const server = channel("keyvalue");
  const store = new Map<string, string>();
  const thrift = thriftClient(server);
  thrift.register(kv.KeyValue, "getValue", (req) => {
    const value = store.get(req.body.key);
    if (value === undefined) throw new kv.NotFoundError({ key: req.body.key });
    return new Response(value, { served: "yes" });
  });
  thrift.register(kv.KeyValue, "setValue", (req) => {
    store.set(req.body.key, req.body.value);
  });
  const hostPort = await server.listen();
  return { kv: await loadThrift(join(fixtures, "keyvalue.thrift"), { service: "keyvalue", hostPort }), hostPort };
}

describe("thrift over TChannel (spec §15.3)", () => {
  it("sets and gets a value, with headers both ways", async () => {
    const { kv } = await keyvalueServer();
    const thrift = thriftClient(channel("client"));
    const set = await thrift(kv.KeyValue.setValue({ key: "foo", value: "Hello, world!" }));
    expect(set.body).toBeNull();
    const res = await thrift(kv.KeyValue.getValue({ key: "foo" }), { headers: { k: "v" } });
    expect(res.body).toBe("Hello, world!");
    expect(res.headers).toEqual({ served: "yes" });
    expect(res.transport.headers.as).toBe("thrift");
  });

  it("rejects a misspelt per-call option with the nearest one, sends nothing, and accepts every documented option", async () => {
    const { kv } = await keyvalueServer();
    const thrift = thriftClient(channel("client"));
    for (const [bad, message] of [
      [{ timout: 100 }, 'invalid call options: unknown option "timout" (did you mean "timeout"?)'],
      [{ retyrOn: "n" }, 'invalid call options: unknown option "retyrOn" (did you mean "retryOn"?)'],
      [{ hostport: "127.0.0.1:1" }, 'invalid call options: unknown option "hostport" (did you mean "hostPort"?)'],
      [{ maxElement: 5 }, 'invalid call options: unknown option "maxElement" (did you mean "maxElements"?)'],
      [{ body: {} }, 'invalid call options: unknown option "body"'],
      [{ timout: undefined }, 'invalid call options: unknown option "timout" (did you mean "timeout"?)'],
    ] as const) {
      // hostPort nowhere: a call that got as far as sending would fail as NetworkError, not this.
      const err = await thrift(kv.KeyValue.setValue({ key: "k", value: "v" }), { ...bad, hostPort: "127.0.0.1:1" } as never).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect((err as Error).message).toBe(message);
      expect(err).toMatchObject({ service: "keyvalue", endpoint: "KeyValue::setValue" });
    }
    const every: Required<ThriftCallOptions> = {
      service: "keyvalue",
      headers: { k: "v" },
      maxElements: 100,
      timeout: 5000,
      timeoutPerAttempt: 4000,
      retryOn: "c",
      retryLimit: 1,
      hostPort: kv.KeyValue.getValue({ key: "k" }).hostPort!,
      shardKey: "s",
      routingDelegate: "keyvalue",
      callerName: "client",
      checksumType: 3,
      signal: new AbortController().signal,
      transportHeaders: { "x-test": "1" },
    };
    await thrift(kv.KeyValue.setValue({ key: "k", value: "v" }), every);
    expect((await thrift(kv.KeyValue.getValue({ key: "k" }), every)).body).toBe("v");
  });

  it("throws a declared exception as an instance of the IDL's exception class", async () => {
    const { kv } = await keyvalueServer();
    const err = await thriftClient(channel("client"))(kv.KeyValue.getValue({ key: "nope" })).catch((e) => e);
    expect(err).toBeInstanceOf(kv.NotFoundError);
    expect(err).toBeInstanceOf(ThriftException);
    expect(err).toBeInstanceOf(Error);
    expect(err.key).toBe("nope");
    expect(err.name).toBe("NotFoundError");
  });

  it("answers Meta::health on every server that uses thrift", async () => {
    const { hostPort } = await keyvalueServer();
    const client = channel("client");
    const res = await client.call({ service: "keyvalue", scheme: "thrift", arg1: "Meta::health", arg2: Buffer.from([0, 0]), arg3: Buffer.from([0]), hostPort });
    expect(res.ok).toBe(true);
    // HealthStatus{ok: true, state: ACCEPTING} in field 0 of the result struct.
    expect(res.arg3.toString("hex")).toBe("0c0000020001010800030000000100" + "00");
  });

  it("maps undeclared handler errors to UnexpectedError and undecodable args to BadRequest", async () => {
    const kv = loadThriftSync(join(fixtures, "keyvalue.thrift"), { service: "svc" });
    const server = channel("svc");
    const thrift = thriftClient(server);
    thrift.register(kv.KeyValue, "getValue", () => {
      throw new Error("database down");
    });
    thrift.register(kv.KeyValue, "setValue", () => undefined);
    const hostPort = await server.listen();
    const client = thriftClient(channel("client"));
    const err = await client(kv.KeyValue.getValue({ key: "a" }), { hostPort, retryOn: "n" }).catch((e) => e);
    expect(err).toBeInstanceOf(UnexpectedError);
    const raw = channel("raw");
    const bad = await raw.call({ service: "svc", scheme: "thrift", arg1: "KeyValue::getValue", arg2: Buffer.from([0, 0]), arg3: Buffer.from("0b0001ffffffff00", "hex"), hostPort }).catch((e) => e);
    expect(bad).toBeInstanceOf(BadRequestError);
    const noHead = await raw.call({ service: "svc", scheme: "thrift", arg1: "KeyValue::getValue", arg2: Buffer.alloc(0), arg3: Buffer.from([0]), hostPort }).catch((e) => e);
    expect(noHead).toBeInstanceOf(BadRequestError);
  });

  it("refuses a non-void handler that returns nothing, and oneway methods", async () => {
    const store = loadThriftSync(join(fixtures, "kitchen.thrift"), { service: "store" });
    const server = channel("store");
    const thrift = thriftClient(server);
    thrift.register(store.Store, "get", () => undefined);
    expect(() => thrift.register(store.Store, "touch", () => undefined)).toThrow(OneWayNotSupportedError);
    const hostPort = await server.listen();
    const client = thriftClient(channel("client"));
    const err = await client(store.Store.get({ key: "k" }), { hostPort }).catch((e) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err.message).toContain("must return a value");
    await expect(client(store.Store.touch({ key: "k" }), { hostPort })).rejects.toBeInstanceOf(OneWayNotSupportedError);
    // What our server answers a peer is BadRequest; calling or registering a oneway method is a local mistake.
    expect(ValueExpectedError.prototype).toBeInstanceOf(BadRequestError);
    expect(OneWayNotSupportedError.prototype).toBeInstanceOf(InvalidArgumentError);
    expect(OneWayNotSupportedError.prototype).not.toBeInstanceOf(BadRequestError);
  });

  it("loads includes, typedefs, enums, unions, consts and inherited methods under the leaf service", async () => {
    const store = await loadThrift(join(fixtures, "kitchen.thrift"), { service: "store" });
    expect(store.Status).toEqual({ OK: "OK", EXPIRED: "EXPIRED" });
    expect(store.MAX_KEYS).toBe(5);
    expect(new store.Entry({ key: "k" })).toMatchObject({ key: "k", ttl: 60n });
    expect(store.Store.ping().method.endpoint).toBe("Store::ping");
    expect(store.Store.get({ key: "x" }).method.exceptions.map((f: { name: string }) => f.name)).toEqual(["missing"]);
  });

  it("round-trips every type through a real call: i64 as bigint, binary, enums, unions, containers", async () => {
    const store = await loadThrift(join(fixtures, "kitchen.thrift"), { service: "store" });
    const server = channel("store");
    const thrift = thriftClient(server);
    let seen: unknown;
    thrift.register(store.Store, "put", (req) => {
      seen = req.body.entry;
      return req.body.entry.ttl * 2n;
    });
    thrift.register(store.Store, "pick", (req) => req.body.v);
    thrift.register(store.Store, "clear", () => undefined);
    const hostPort = await server.listen();
    const client = thriftClient(channel("client"));
    const entry = {
      key: "k",
      ttl: 2n ** 61n,
      history: [new Map([["a", -1n]]), new Map()],
      status: "EXPIRED",
      blob: Buffer.from([0, 255, 1]),
      value: { number: 7n },
      tags: [1, 2, 3],
      ratio: 0.5,
      flag: true,
      small: -5,
      medium: 300,
    };
    const res = await client(store.Store.put({ entry }), { hostPort });
    expect(res.body).toBe(2n ** 62n);
    expect(seen).toBeInstanceOf(store.Entry);
    expect(seen).toEqual(Object.assign(new store.Entry(), { ...entry, blob: Buffer.from([0, 255, 1]), value: Object.assign(new store.Value(), { number: 7n }) }));
    const picked = await client(store.Store.pick({ v: { text: "t" } }), { hostPort });
    expect(picked.body).toEqual(Object.assign(new store.Value(), { text: "t" }));
    expect((await client(store.Store.clear(), { hostPort })).body).toBeNull();
  });

  it("rejects unions with zero or two members, missing required fields and wrong types, naming the field", async () => {
    const store = loadThriftSync(join(fixtures, "kitchen.thrift"), { service: "store", hostPort: "127.0.0.1:1" });
    const client = thriftClient(channel("client"));
    const two = await client(store.Store.pick({ v: { text: "a", number: 1n } })).catch((e) => e);
    // Refused here, before anything is sent: the caller's mistake, never BadRequest (a peer's answer).
    expect(two).toBeInstanceOf(InvalidArgumentError);
    expect(two).not.toBeInstanceOf(BadRequestError);
    expect(two).toMatchObject({ code: "TCHANNEL_INVALID_ARGUMENT", fromPeer: false, endpoint: "Store::pick" });
    expect(two.message).toContain("exactly one field set, got 2");
    const none = await client(store.Store.pick({ v: {} })).catch((e) => e);
    expect(none.message).toContain("got 0");
    const missing = await client(store.Store.put({ entry: { ttl: 1n } })).catch((e) => e);
    expect(missing.message).toContain("Store::put arguments.entry.key: required field is missing");
    const wrong = await client(store.Store.put({ entry: { key: "k", status: "NOPE" } })).catch((e) => e);
    expect(wrong.message).toContain("expected a Status name");
    for (const err of [none, missing, wrong]) expect(err).toBeInstanceOf(InvalidArgumentError);
  });
});

describe("the binary codec on hostile input (known-hazards #1, #2)", () => {
  const kv = loadThriftSync(join(fixtures, "keyvalue.thrift"), { service: "kv" });
  const getArgs = (kv.KeyValue.getValue({}).method as ThriftMethod).args;
  const store = loadThriftSync(join(fixtures, "kitchen.thrift"), { service: "store" });
  const chainArgs = (store.Store.chain({}).method as ThriftMethod).args;

  it("matches the captured tchannel-node bytes for getValue(key='hello') (spec §16.5)", () => {
    expect(encodeStruct(getArgs, { key: "hello" }).toString("hex")).toBe("0b00010000000568656c6c6f00");
    expect(decodeStruct(getArgs, Buffer.from("0b00010000000568656c6c6f00", "hex"))).toMatchObject({ key: "hello" });
  });

  it("rejects a string length with the sign bit set, which kills tchannel-node", () => {
    expect(() => decodeStruct(getArgs, Buffer.from("0b00018000000061626300", "hex"))).toThrow("negative length");
  });

  it("rejects a length or count beyond the bytes present before allocating", () => {
    expect(() => decodeStruct(getArgs, Buffer.from("0b00017fffffff00", "hex"))).toThrow(ThriftCodecError);
    // An unknown list<i64> field claiming 2^31-1 elements.
    expect(() => decodeStruct(getArgs, Buffer.from("0f00090a7fffffff00", "hex"))).toThrow("exceeds");
  });

  it("bounds nesting: unknown structs 4000 deep and known ones past the limit fail cleanly", () => {
    const parts: Buffer[] = [];
    for (let i = 0; i < 4000; i++) parts.push(Buffer.from("0c0009", "hex"));
    for (let i = 0; i < 4001; i++) parts.push(Buffer.from([0]));
    expect(() => decodeStruct(getArgs, Buffer.concat(parts))).toThrow("nested deeper than");
    const lists: Buffer[] = [Buffer.from("0f0009", "hex")];
    for (let i = 0; i < 5000; i++) lists.push(Buffer.from("0f00000001", "hex"));
    expect(() => decodeStruct(getArgs, Buffer.concat(lists))).toThrow(ThriftCodecError);
    let node: Record<string, unknown> = { n: 1 };
    for (let i = 0; i < 100; i++) node = { next: node };
    const bytes = encodeStruct(chainArgs, { n: node });
    expect(() => decodeStruct(chainArgs, bytes)).toThrow("nested deeper than");
  });

  it("skips unknown fields of every type", () => {
    const unknown = "080063000000010a00640000000000000001" + "0b0001000000026869" + "00";
    expect(decodeStruct(getArgs, Buffer.from(unknown, "hex"))).toMatchObject({ key: "hi" });
  });
});
