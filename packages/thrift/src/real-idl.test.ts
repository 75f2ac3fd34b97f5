// What real services' IDLs need from the model around the codec (issue 13), on our own fixtures
// modelled on them: defaults in literal form, exceptions with `message` fields, enums and unions
// that a newer peer has grown, sets written with the list type id.
import { afterEach, describe, expect, it } from "@jest/globals";
import { join } from "node:path";
import { Thrift } from "thriftrw";
import { BadRequestError, InvalidArgumentError, Response, TChannel } from "@tchannel/channel";
import { ThriftCodecError, decodeStruct, encodeStruct } from "./binary-codec.js";
import { decodeThrift, encodeThrift } from "./struct-codec.js";
import { thriftClient } from "./thrift-client.js";
import { ThriftException } from "./thrift-errors.js";
import { loadThriftSync, type ThriftMethod } from "./thrift-module.js";

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
const method = (service: { methods: ReadonlyMap<string, ThriftMethod> }, name: string) => service.methods.get(name)!;
const thriftrw = (file: string) => new Thrift({ entryPoint: file, allowFilesystemAccess: true, strict: false, allowOptionalArguments: true, allowIncludeAlias: true });

describe("IDL defaults: converted once at load to the field's type", () => {
  const file = join(fixtures, "realworld", "tracing.thrift");
  const t = loadThriftSync(file);

  it("gives every default its run-time form (bool = 0, binary = \"\", map, set, struct, enum, i64, double)", () => {
    const span = new t.Span({ trace_id: 1n, name: "op", id: 2n, annotations: [] });
    expect(span.debug).toBe(false);
    expect(span.sampled).toBe(true);
    expect(span.on).toBe(true);
    expect(span.timestamp).toBe(1234567890123n);
    expect(span.sample_rate).toBe(1);
    expect(Buffer.isBuffer(span.headers) && span.headers.length).toBe(0);
    expect(span.complex).toBeInstanceOf(Map);
    expect([...span.complex].sort((a, b) => a[0] - b[0])).toEqual([
      [-1, 7],
      [23, 532],
    ]);
    expect(span.tags).toEqual([]);
    expect(span.kinds).toEqual(["client", "server"]);
    expect(span.buckets).toEqual(new Map([["a", [1n, 2n]]]));
    expect(span.local).toBeInstanceOf(t.Endpoint);
    // The struct default gets the struct's own defaults too.
    expect(span.local).toMatchObject({ ipv4: 127, port: 80, service_name: "me" });
    expect(span.severity).toBe("INFO");
    expect(span.numeric_severity).toBe("WARN");
  });

  it("encodes a Span without debug (every submitBatch failed before) and a {} with defaults, as thriftrw's constructor fills them", () => {
    const args = { trace_id: 5n, name: "x", id: 6n, annotations: [{ timestamp: 1n, value: "cs" }] };
    const bytes = encodeStruct(method(t.Collector, "submitBatch").args, { spans: [args] });
    expect(bytes.length).toBeGreaterThan(0);
    // thriftrw's constructor, given the defaults in their converted form, writes the same bytes.
    const Span = thriftrw(file).getType("Span") as unknown as { toBuffer(v: unknown): Buffer };
    const i64 = (n: bigint) => {
      const b = Buffer.alloc(8);
      b.writeBigInt64BE(n);
      return b;
    };
    const rwSpan = {
      trace_id: i64(5n),
      name: "x",
      id: i64(6n),
      annotations: [{ timestamp: i64(1n), value: "cs" }],
      debug: false,
      timestamp: i64(1234567890123n),
      sample_rate: 1,
      sampled: true,
      headers: Buffer.alloc(0),
      complex: { 23: 532, "-1": 7 },
      tags: [],
      kinds: ["client", "server"],
      buckets: { a: [i64(1n), i64(2n)] },
      local: { ipv4: 127, port: 80, service_name: "me" },
      severity: "INFO",
      numeric_severity: "WARN",
      on: true,
    };
    const theirs = Span.toBuffer(rwSpan);
    const ours = encodeThrift(t.Span, args);
    // thriftrw's object puts the map's keys in its own order: compare the values, and the sizes.
    expect(decodeThrift(t.Span, theirs)).toEqual(decodeThrift(t.Span, ours));
    expect(ours.length).toBe(theirs.length);
  });

  it("gives each instance its own copy of a mutable default", () => {
    const a = new t.Span({});
    a.tags.push("x");
    a.complex.set(1, 1);
    a.local.ipv4 = 1;
    a.headers.fill?.(1);
    a.buckets.get("a").push(3n);
    const b = new t.Span({});
    expect(b.tags).toEqual([]);
    expect(b.complex.has(1)).toBe(false);
    expect(b.local.ipv4).toBe(127);
    expect(b.buckets.get("a")).toEqual([1n, 2n]);
    // Decoded values missing the field get their own copies as well.
    const def = method(t.Collector, "submitBatch").args;
    const bytes = encodeStruct(def, { spans: [{ trace_id: 1n, name: "n", id: 1n, annotations: [], tags: ["keep"] }] });
    const first = decodeStruct(def, bytes) as { spans: { tags: string[]; kinds: string[] }[] };
    first.spans[0]!.kinds.push("mutated");
    const second = decodeStruct(def, bytes) as { spans: { tags: string[]; kinds: string[] }[] };
    expect(second.spans[0]!.kinds).toEqual(["client", "server"]);
    // And encoding {} uses the defaults without changing them.
    encodeStruct(def, { spans: [{ trace_id: 1n, name: "n", id: 1n, annotations: [] }] });
    expect(new t.Span({}).tags).toEqual([]);
  });

  it("rejects a default that does not fit its type at load, naming file:line:col", () => {
    expect(() => loadThriftSync(join(fixtures, "realworld", "bad-default.thrift"))).toThrow(/bad-default\.thrift:4:3: default of Req\.retries: expected an integer in -2147483648\.\.2147483647, got "three"/);
  });

  it("keeps the sign of negative defaults and consts, which thriftrw's grammar drops", () => {
    const m = loadThriftSync(join(fixtures, "realworld", "negative.thrift"));
    expect(new m.Limits({})).toMatchObject({ retries: -1, offset: -5n, scale: -1.5, ratios: [-1, 2, -0.25], byKey: new Map([[-2, -3]]) });
    expect(m.MINUS_ONE).toBe(-1);
  });
});

describe("exceptions: IDL fields are exactly what goes on the wire", () => {
  const file = join(fixtures, "cadence-like", "frontend.thrift");
  const cadence = loadThriftSync(file, { service: "cadence-frontend" });
  const shared = cadence.shared;
  const start = method(cadence.WorkflowService, "StartWorkflowExecution");

  it("sends a thrown exception's IDL fields only: no made-up message, no class name as `name`", async () => {
    const err = new shared.WorkflowExecutionAlreadyStartedError({ startRequestId: "req-1" });
    expect(err).toBeInstanceOf(ThriftException);
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toBeUndefined(); // the IDL field, unset
    expect(String(err.stack)).toContain("WorkflowExecutionAlreadyStartedError");
    const bytes = encodeStruct(start.result, { sessionAlreadyExistError: err });
    // thriftrw, given the IDL fields, writes the same bytes: field 20 only.
    const rw = thriftrw(file).modules.shared!.getType("WorkflowExecutionAlreadyStartedError") as unknown as { toBuffer(v: unknown): Buffer };
    expect(encodeThrift(shared.WorkflowExecutionAlreadyStartedError, err).equals(rw.toBuffer({ startRequestId: "req-1" }))).toBe(true);
    expect(bytes.toString("hex")).toBe("0c0002" + "0b0014000000057265712d31" + "00" + "00");
    const limit = new shared.LimitExceededError({ message: 42 });
    expect(limit.message).toBe(42);
    expect(limit.name).toBeUndefined();
    expect(encodeStruct(start.result, { limitExceededError: limit }).toString("hex")).toBe("0c0003" + "08000100000" + "02a" + "00" + "00");
    const named = new shared.LimitExceededError({ name: "quota" });
    expect(encodeStruct(start.result, { limitExceededError: named }).toString("hex")).toBe("0c0003" + "0b000200000005" + Buffer.from("quota").toString("hex") + "00" + "00");
  });

  it("decodes an exception without its optional message as unset, and derives a display message only where the IDL has none", async () => {
    const server = channel("cadence-frontend");
    const thrift = thriftClient(server);
    thrift.register(cadence.WorkflowService, "StartWorkflowExecution", (req) => {
      if (req.body.startRequest.identity === "limit") throw new shared.LimitExceededError({ message: 7, name: "rps" });
      if (req.body.startRequest.identity === "internal") throw new shared.InternalServiceError({ cause: ["disk", "full"] });
      throw new shared.WorkflowExecutionAlreadyStartedError({ runId: "r" });
    });
    const hostPort = await server.listen();
    const client = thriftClient(channel("client"));
    const call = (identity: string) => client(cadence.WorkflowService.StartWorkflowExecution({ startRequest: { identity } }), { hostPort }).catch((e) => e);
    const started = await call("x");
    expect(started).toBeInstanceOf(shared.WorkflowExecutionAlreadyStartedError);
    expect(started.message).toBeUndefined();
    expect(started.runId).toBe("r");
    expect(Object.keys(started).sort()).toEqual(["message", "runId"]);
    const limit = await call("limit");
    expect(limit.message).toBe(7);
    expect(limit.name).toBe("rps");
    const internal = await call("internal");
    expect(internal.cause).toEqual(["disk", "full"]);
    const bad = new shared.BadRequestError({ message: "domain is required" });
    expect(bad.message).toBe("domain is required");
    // With no IDL message, Error's is derived for display from the fields.
    const kv = loadThriftSync(join(fixtures, "keyvalue.thrift"));
    const missing = new kv.NotFoundError({ key: "k" });
    expect(missing.message).toBe('NotFoundError key="k"');
    expect(missing.name).toBe("NotFoundError");
    expect(Object.keys(missing)).toEqual(["key"]);
    expect(encodeStruct(method(kv.KeyValue, "getValue").result, { notFound: missing }).toString("hex")).toBe("0c0001" + "0b0001000000016b" + "00" + "00");
  });
});

describe("evolution: a newer peer's enum values and union members", () => {
  const v1 = loadThriftSync(join(fixtures, "realworld", "evolution-v1.thrift"), { service: "items" });
  const v2 = loadThriftSync(join(fixtures, "realworld", "evolution-v2.thrift"), { service: "items" });
  const v2rw = thriftrw(join(fixtures, "realworld", "evolution-v2.thrift")).getType("Item") as unknown as { toBuffer(v: unknown): Buffer };

  it("keeps an unknown enum value as its number, in fields, lists and map keys, and re-encodes it unchanged", () => {
    const item = { status: "DELETED", history: ["OPEN", "ARCHIVED", "DELETED"], notes: new Map([["ARCHIVED", "old"]]) };
    const bytes = encodeThrift(v2.Item, item);
    // The bytes are thriftrw's for the same value.
    expect(bytes.equals(v2rw.toBuffer({ status: "DELETED", history: ["OPEN", "ARCHIVED", "DELETED"], notes: { ARCHIVED: "old" } }))).toBe(true);
    const old = decodeThrift(v1.Item, bytes) as Record<string, unknown>;
    expect(old.status).toBe(7);
    expect(old.history).toEqual(["OPEN", 2, 7]);
    expect(old.notes).toEqual(new Map([[2, "old"]]));
    expect(encodeThrift(v1.Item, old).equals(bytes)).toBe(true);
    expect(decodeThrift(v2.Item, encodeThrift(v1.Item, old))).toEqual(decodeThrift(v2.Item, bytes));
    // A number that is not an i32 is still refused.
    expect(() => encodeThrift(v1.Item, { status: 2 ** 31 })).toThrow(ThriftCodecError);
    expect(() => encodeThrift(v1.Item, { status: "NOPE" })).toThrow(/expected a Status name/);
  });

  it("decodes a union whose only member is unknown as an empty union, instead of failing the call", async () => {
    const server = channel("items");
    thriftClient(server).register(v2.Items, "echo", () => new v2.Item({ choice: new v2.Choice({ flag: true }), status: "OPEN" }));
    const hostPort = await server.listen();
    const res = await thriftClient(channel("client"))(v1.Items.echo({ item: {} }), { hostPort });
    const choice = (res.body as { choice: Record<string, unknown> }).choice;
    expect(choice).toBeInstanceOf(v1.Choice);
    expect(Object.values(choice).filter((v) => v !== undefined)).toEqual([]);
    expect((res.body as { status: string }).status).toBe("OPEN");
    // A union with no member at all, or two, is still an error.
    expect(() => decodeThrift(v1.Choice, Buffer.from([0]))).toThrow("exactly one field set, got 0");
    expect(() => decodeThrift(v1.Choice, Buffer.from("0b00010000000161" + "0a00020000000000000001" + "00", "hex"))).toThrow(ThriftCodecError);
  });

  it("accepts a set sent with the list type id, as thriftrw does (old thriftrw-node wrote sets so)", () => {
    const asList = Buffer.from("0f0005" + "0b00000002" + "0000000161" + "0000000162" + "00", "hex");
    expect((decodeThrift(v1.Item, asList) as { labels: string[] }).labels).toEqual(["a", "b"]);
    const asSet = encodeThrift(v1.Item, { labels: ["a", "b"] });
    expect(asSet.toString("hex")).toBe("0e0005" + "0b00000002" + "0000000161" + "0000000162" + "00");
  });
});

describe("building values from plain objects", () => {
  const kv = loadThriftSync(join(fixtures, "keyvalue.thrift"));
  const store = loadThriftSync(join(fixtures, "kitchen.thrift"));

  it("makes a misspelled field an error where it was written: request builders, constructors, nested values", () => {
    expect(() => kv.KeyValue.getValue({ kee: "k" })).toThrow(/KeyValue::getValue has no argument "kee" \(arguments: key\)/);
    expect(() => kv.KeyValue.getValue({ kee: "k" })).toThrow(InvalidArgumentError);
    expect(() => new store.Entry({ key: "k", tll: 5n })).toThrow(/Entry has no field "tll"/);
    expect(() => encodeStruct(method(store.Store, "put").args, { entry: { key: "k", tll: 5n } })).toThrow(/Entry has no field "tll"/);
    expect(() => kv.KeyValue.getValue("k" as never)).toThrow(InvalidArgumentError);
  });
});

describe("the codec without a channel", () => {
  const store = loadThriftSync(join(fixtures, "kitchen.thrift"));

  it("encodes and decodes a struct type, a union, and a method's args and result", () => {
    const entry = new store.Entry({ key: "k", ttl: 5n, status: "OK", tags: [1] });
    const bytes = encodeThrift(store.Entry, entry);
    expect(decodeThrift(store.Entry, bytes)).toEqual(entry);
    expect(decodeThrift(store.Entry, new Uint8Array(bytes))).toEqual(entry);
    expect(decodeThrift(store.Value, encodeThrift(store.Value, { text: "t" }))).toEqual(new store.Value({ text: "t" }));
    const put = store.Store.methods.get("put");
    const args = encodeThrift(put.args, { entry });
    expect(decodeThrift(put.args, args)).toEqual({ entry });
    expect(decodeThrift(put.result, encodeThrift(put.result, { success: 9n }))).toEqual({ success: 9n });
    expect(() => encodeThrift({} as never, {})).toThrow(InvalidArgumentError);
  });
});

describe("thrift.register", () => {
  it("serves several TChannel services from one channel with the service option", async () => {
    const kv = loadThriftSync(join(fixtures, "keyvalue.thrift"));
    const server = channel("main");
    const thrift = thriftClient(server);
    thrift.register(kv.KeyValue, "getValue", () => "from-a", { service: "a" });
    thrift.register(kv.KeyValue, "getValue", () => "from-b", { service: "b" });
    thrift.register(kv.KeyValue, "setValue", () => undefined);
    const hostPort = await server.listen();
    const client = thriftClient(channel("client"));
    expect((await client(kv.KeyValue.getValue({ key: "k" }), { hostPort, service: "a" })).body).toBe("from-a");
    expect((await client(kv.KeyValue.getValue({ key: "k" }), { hostPort, service: "b" })).body).toBe("from-b");
    const unknown = await client(kv.KeyValue.getValue({ key: "k" }), { hostPort, service: "main" }).catch((e) => e);
    expect(unknown).toBeInstanceOf(BadRequestError);
    expect(() => thrift.register(kv.KeyValue, "getValue", () => "x", { servce: "a" } as never)).toThrow(/invalid thrift.register options/);
  });

  it("answers a synchronous handler in the same tick, as raw and json do", async () => {
    const kv = loadThriftSync(join(fixtures, "keyvalue.thrift"));
    const server = channel("kv");
    const handlers = recordHandlers(server);
    const thrift = thriftClient(server);
    thrift.register(kv.KeyValue, "getValue", () => new Response("v"));
    thrift.register(kv.KeyValue, "getValue", () => {
      throw new kv.NotFoundError({ key: "nope" });
    }, { service: "other" });
    // The low-level handler the core calls returns the reply itself, not a promise.
    const reply = handlers.get("KeyValue::getValue")!({ arg2: Buffer.from([0, 0]), arg3: encodeStruct(method(kv.KeyValue, "getValue").args, { key: "k" }) });
    expect(reply).not.toBeInstanceOf(Promise);
    expect((reply as { ok: boolean }).ok).toBe(true);
    const failed = handlers.get("other KeyValue::getValue")!({ arg2: Buffer.from([0, 0]), arg3: Buffer.from([0]) });
    expect(failed).not.toBeInstanceOf(Promise);
    expect((failed as { ok: boolean }).ok).toBe(false);
    // An async handler still gets a promise.
    thrift.register(kv.KeyValue, "getValue", async () => "later");
    expect(handlers.get("KeyValue::getValue")!({ arg2: Buffer.from([0, 0]), arg3: Buffer.from([0]) })).toBeInstanceOf(Promise);
  });
});

/** Records the low-level handlers registered on a channel, to call one as the core would. */
function recordHandlers(server: TChannel): Map<string, (call: { arg2: Buffer; arg3: Buffer }) => unknown> {
  const handlers = new Map<string, (call: { arg2: Buffer; arg3: Buffer }) => unknown>();
  const original = server.register.bind(server);
  server.register = (endpoint, scheme, handler, options) => {
    handlers.set(options?.service ? `${options.service} ${endpoint}` : endpoint, (call) => handler({ ...call, service: "kv", transport: { headers: {} }, deadline: Infinity, signal: new AbortController().signal } as never));
    original(endpoint, scheme, handler, options);
  };
  return handlers;
}
