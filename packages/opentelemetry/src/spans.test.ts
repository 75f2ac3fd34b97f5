import { afterAll, afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import { type Context, type Link, type SpanKind as SpanKindT, type Attributes, SpanKind, SpanStatusCode, DiagLogLevel, context, diag, propagation } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  InMemorySpanExporter,
  ParentBasedSampler,
  type ReadableSpan,
  type Sampler,
  type SamplingResult,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { BusyError, Response, TChannel, TChannelError, errorFromWire } from "@tchannel/channel";
import { ErrorCode, decodeTracing } from "@tchannel/frame";
import { jsonClient } from "@tchannel/json";
import { loadThriftSource, thriftClient } from "@tchannel/thrift";
import { TChannelIdGenerator } from "./id-generator.js";
import { type TChannelInstrumentation, instrumentTChannel } from "./tchannel-instrumentation.js";

/** A sampler the tests switch: ParentBased over a root decision they choose. */
class SwitchSampler implements Sampler {
  rootFor: (kind: SpanKindT) => Sampler = () => new AlwaysOnSampler();
  shouldSample(ctx: Context, traceId: string, name: string, kind: SpanKindT, attributes: Attributes, links: Link[]): SamplingResult {
    return new ParentBasedSampler({ root: this.rootFor(kind) }).shouldSample(ctx, traceId, name, kind, attributes, links);
  }
  toString(): string {
    return "SwitchSampler";
  }
}

const exporter = new InMemorySpanExporter();
const sampler = new SwitchSampler();
let provider: BasicTracerProvider;
let instrumentation: TChannelInstrumentation;
const open: TChannel[] = [];

function channel(name: string, options: Partial<ConstructorParameters<typeof TChannel>[0]> = {}): TChannel {
  const ch = new TChannel({ name, ...options });
  open.push(ch);
  return ch;
}

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  provider = new BasicTracerProvider({ sampler, spanProcessors: [new SimpleSpanProcessor(exporter)] });
  instrumentation = instrumentTChannel({ tracerProvider: provider, metrics: false });
});
afterAll(() => {
  instrumentation.disable();
  context.disable();
  propagation.disable();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
  exporter.reset();
  sampler.rootFor = () => new AlwaysOnSampler();
});

const spans = (kind: SpanKind) => exporter.getFinishedSpans().filter((s) => s.kind === kind);
const one = (kind: SpanKind): ReadableSpan => {
  const found = spans(kind);
  expect(found).toHaveLength(1);
  return found[0]!;
};
const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;

/** Waits for the server spans, which end after the answer is written, a moment after the client's. */
async function settled(count: number): Promise<void> {
  for (let i = 0; i < 200 && exporter.getFinishedSpans().length < count; i++) await new Promise((r) => setTimeout(r, 5));
}

async function server(name = "server"): Promise<{ ch: TChannel; hostPort: string }> {
  const ch = channel(name);
  ch.raw.register("echo", (req) => new Response(req.body, req.headers));
  return { ch, hostPort: await ch.listen() };
}

describe("spans", () => {
  it("a raw call: a CLIENT span and a SERVER span whose parent is it, named and attributed by the RPC conventions", async () => {
    const { hostPort } = await server();
    await channel("client").raw({ service: "server", endpoint: "echo", body: Buffer.from("x"), hostPort });
    await settled(2);
    const client = one(SpanKind.CLIENT);
    const srv = one(SpanKind.SERVER);
    expect(client.name).toBe("server/echo");
    expect(client.attributes).toMatchObject({
      "rpc.system": "tchannel",
      "rpc.service": "server",
      "rpc.method": "echo",
      "tchannel.scheme": "raw",
      "tchannel.caller_name": "client",
      "tchannel.retry_count": 0,
      "server.address": "127.0.0.1",
      "server.port": Number(hostPort.split(":")[1]),
    });
    expect(srv.attributes).toMatchObject({ "rpc.system": "tchannel", "rpc.service": "server", "rpc.method": "echo", "network.peer.address": "127.0.0.1" });
    expect(client.status.code).toBe(SpanStatusCode.UNSET);
    expect(srv.status.code).toBe(SpanStatusCode.UNSET);
    // Over the raw scheme only the 64-bit field travels: the server sees the low half of the trace id.
    expect(srv.spanContext().traceId).toBe("0000000000000000" + client.spanContext().traceId.slice(16));
    expect(parentOf(srv)).toBe(client.spanContext().spanId);
    expect(srv.parentSpanContext?.isRemote).toBe(true);
  });

  it("the wire carries the client span's ids and sampled flag (spec §11)", async () => {
    const ch = channel("server");
    let seen: ReturnType<typeof decodeTracing> | undefined;
    ch.register("peek", "raw", (call) => {
      seen = decodeTracing(call.tracing);
      return { ok: true, arg2: Buffer.alloc(0), arg3: Buffer.alloc(0) };
    });
    const hostPort = await ch.listen();
    const tracer = provider.getTracer("test");
    await tracer.startActiveSpan("outer", async (outer) => {
      await channel("client").raw({ service: "server", endpoint: "peek", hostPort });
      outer.end();
    });
    await settled(3);
    const client = one(SpanKind.CLIENT);
    expect(seen!.spanId).toBe(BigInt("0x" + client.spanContext().spanId));
    expect(seen!.parentId).toBe(BigInt("0x" + exporter.getFinishedSpans().find((s) => s.name === "outer")!.spanContext().spanId));
    expect(seen!.traceId).toBe(BigInt("0x" + client.spanContext().traceId.slice(16)));
    expect(seen!.flags).toBe(1);
  });

  it("json: $tracing$traceparent carries the whole 128-bit trace id, and the handler never sees it", async () => {
    const ch = channel("server");
    let handlerHeaders: Record<string, string> | undefined;
    jsonClient(ch).register("echo", (req) => {
      handlerHeaders = { ...req.headers };
      return req.body;
    });
    const hostPort = await ch.listen();
    await jsonClient(channel("client"))({ service: "server", endpoint: "echo", body: { a: 1 }, headers: { user: "u" }, hostPort });
    await settled(2);
    const client = one(SpanKind.CLIENT);
    const srv = one(SpanKind.SERVER);
    expect(srv.spanContext().traceId).toBe(client.spanContext().traceId);
    expect(parentOf(srv)).toBe(client.spanContext().spanId);
    expect(handlerHeaders).toEqual({ user: "u" });
  });

  it("thrift: the same through thrift's header map, hidden from the thrift handler", async () => {
    const idl = loadThriftSource("service KV {\n  string get(1: string key)\n}\n", { service: "kv" }) as any;
    const ch = channel("kv");
    let handlerHeaders: Record<string, string> | undefined;
    thriftClient(ch).register(idl.KV, "get", (req) => {
      handlerHeaders = { ...req.headers };
      return `v:${(req.body as { key: string }).key}`;
    });
    const hostPort = await ch.listen();
    const res = await thriftClient(channel("client"))(idl.KV.get({ key: "k" }), { hostPort, headers: { app: "1" } });
    expect(res.body).toBe("v:k");
    await settled(2);
    const client = one(SpanKind.CLIENT);
    const srv = one(SpanKind.SERVER);
    expect(client.attributes).toMatchObject({ "rpc.service": "kv", "rpc.method": "KV::get", "tchannel.scheme": "thrift" });
    expect(srv.spanContext().traceId).toBe(client.spanContext().traceId);
    expect(parentOf(srv)).toBe(client.spanContext().spanId);
    expect(handlerHeaders).toEqual({ app: "1" });
  });

  it("with TChannelIdGenerator a trace keeps its id over the 64-bit field alone", async () => {
    const local = new BasicTracerProvider({ idGenerator: new TChannelIdGenerator(), spanProcessors: [new SimpleSpanProcessor(exporter)] });
    instrumentation.setTracerProvider(local);
    try {
      const { hostPort } = await server();
      await channel("client").raw({ service: "server", endpoint: "echo", hostPort });
      await settled(2);
      expect(one(SpanKind.SERVER).spanContext().traceId).toBe(one(SpanKind.CLIENT).spanContext().traceId);
      expect(one(SpanKind.CLIENT).spanContext().traceId).toMatch(/^0{16}[0-9a-f]{16}$/);
    } finally {
      instrumentation.setTracerProvider(provider);
    }
  });

  it("a handler's outgoing calls are children of its inbound call's span", async () => {
    const { hostPort: backend } = await server("backend");
    const front = channel("front");
    front.raw.register("proxy", async (req) => {
      const res = await front.raw({ service: "backend", endpoint: "echo", body: req.body, hostPort: backend });
      return res.body;
    });
    const frontHostPort = await front.listen();
    await channel("client").raw({ service: "front", endpoint: "proxy", body: Buffer.from("x"), hostPort: frontHostPort });
    await settled(4);
    const [clientSpans, serverSpans] = [spans(SpanKind.CLIENT), spans(SpanKind.SERVER)];
    const root = clientSpans.find((s) => s.name === "front/proxy")!;
    const frontSpan = serverSpans.find((s) => s.name === "front/proxy")!;
    const inner = clientSpans.find((s) => s.name === "backend/echo")!;
    const backendSpan = serverSpans.find((s) => s.name === "backend/echo")!;
    expect(parentOf(frontSpan)).toBe(root.spanContext().spanId);
    expect(parentOf(inner)).toBe(frontSpan.spanContext().spanId);
    expect(parentOf(backendSpan)).toBe(inner.spanContext().spanId);
    const traceId = frontSpan.spanContext().traceId;
    for (const s of [inner, backendSpan]) expect(s.spanContext().traceId).toBe(traceId);
  });

  it("handlerContext() is the inbound call's span context inside a handler, for spans the handler makes", async () => {
    const ch = channel("server");
    ch.raw.register("work", () => {
      const span = provider.getTracer("app").startSpan("db-query", {}, instrumentation.handlerContext());
      span.end();
      return Buffer.from("done");
    });
    const hostPort = await ch.listen();
    expect(instrumentation.handlerContext()).toBeUndefined();
    await channel("client").raw({ service: "server", endpoint: "work", hostPort });
    await settled(3);
    const db = exporter.getFinishedSpans().find((s) => s.name === "db-query")!;
    expect(parentOf(db)).toBe(one(SpanKind.SERVER).spanContext().spanId);
  });

  it("a propagator that throws neither fails the call nor crashes the process (logged, and the call goes on)", async () => {
    const ch = channel("server");
    jsonClient(ch).register("echo", (req) => req.body);
    const hostPort = await ch.listen();
    propagation.disable();
    propagation.setGlobalPropagator({
      inject() {
        throw new Error("broken propagator");
      },
      extract(ctx) {
        return ctx;
      },
      fields: () => [],
    });
    const logged: unknown[][] = [];
    diag.setLogger({ error: (...args: unknown[]) => logged.push(args), warn() {}, info() {}, debug() {}, verbose() {} }, DiagLogLevel.ERROR);
    try {
      const res = await jsonClient(channel("client"))({ service: "server", endpoint: "echo", body: { a: 1 }, hostPort });
      expect(res.body).toEqual({ a: 1 });
      await new Promise((r) => setTimeout(r, 20)); // a rethrown subscriber error would surface on the next tick
      expect(logged.some((args) => String(args[0]).includes("client call start failed"))).toBe(true);
    } finally {
      diag.disable();
      propagation.disable();
      propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    }
  });

  it("an application error: the client span is an ERROR, the server span records it and stays UNSET", async () => {
    const ch = channel("server");
    ch.raw.register("nope", () => new Response(Buffer.from("bad"), Buffer.alloc(0), { status: 1 }));
    const hostPort = await ch.listen();
    const res = await channel("client").raw({ service: "server", endpoint: "nope", hostPort });
    expect(res.status).toBe(1);
    await settled(2);
    const client = one(SpanKind.CLIENT);
    expect(client.status.code).toBe(SpanStatusCode.ERROR);
    expect(client.attributes).toMatchObject({ "error.type": "application-error", "tchannel.application_error": true });
    const srv = one(SpanKind.SERVER);
    expect(srv.status.code).toBe(SpanStatusCode.UNSET);
    expect(srv.attributes["tchannel.application_error"]).toBe(true);
  });

  const goNames: Record<number, string> = {
    [ErrorCode.Timeout]: "timeout",
    [ErrorCode.Cancelled]: "cancelled",
    [ErrorCode.Busy]: "busy",
    [ErrorCode.Declined]: "declined",
    [ErrorCode.Unexpected]: "unexpected-error",
    [ErrorCode.BadRequest]: "bad-request",
    [ErrorCode.NetworkError]: "network-error",
    [ErrorCode.Unhealthy]: "unhealthy",
  };
  it.each(Object.entries(goNames))("protocol error 0x0%s: ERROR on both spans with error.type and tchannel.error_code", async (codeText, name) => {
    const code = Number(codeText);
    const ch = channel("server");
    ch.raw.register("fail", () => {
      throw errorFromWire(code, `failing with ${name}`);
    });
    const hostPort = await ch.listen();
    const err = await channel("client").raw({ service: "server", endpoint: "fail", hostPort, retryOn: "n" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TChannelError);
    await settled(2);
    for (const s of [one(SpanKind.CLIENT), one(SpanKind.SERVER)]) {
      expect(s.status.code).toBe(SpanStatusCode.ERROR);
      expect(s.attributes).toMatchObject({ "error.type": name, "tchannel.error_code": code });
    }
    expect(one(SpanKind.CLIENT).events.map((e) => e.name)).toContain("exception");
  });

  it("a handler that throws a plain Error: unexpected-error on both sides", async () => {
    const ch = channel("server");
    ch.raw.register("boom", () => {
      throw new Error("boom");
    });
    const hostPort = await ch.listen();
    await expect(channel("client").raw({ service: "server", endpoint: "boom", hostPort, retryOn: "n" })).rejects.toBeInstanceOf(TChannelError);
    await settled(2);
    expect(one(SpanKind.CLIENT).attributes["error.type"]).toBe("unexpected-error");
    expect(one(SpanKind.SERVER).attributes["error.type"]).toBe("unexpected-error");
  });

  it("an unknown endpoint: the client span is a bad-request ERROR", async () => {
    const { hostPort } = await server();
    await expect(channel("client").raw({ service: "server", endpoint: "missing", hostPort })).rejects.toBeInstanceOf(TChannelError);
    await settled(1);
    expect(one(SpanKind.CLIENT).attributes).toMatchObject({ "error.type": "bad-request", "tchannel.error_code": ErrorCode.BadRequest });
  });

  it("a timeout: ERROR timeout on the client span, and on the server span when its TTL passes", async () => {
    const ch = channel("server");
    ch.raw.register("slow", () => new Promise((resolve) => setTimeout(() => resolve(Buffer.from("late")), 400)));
    const hostPort = await ch.listen();
    await expect(channel("client").raw({ service: "server", endpoint: "slow", hostPort, timeout: 50 })).rejects.toBeInstanceOf(TChannelError);
    await settled(2);
    expect(one(SpanKind.CLIENT).attributes).toMatchObject({ "error.type": "timeout", "tchannel.error_code": ErrorCode.Timeout });
    expect(one(SpanKind.SERVER).attributes).toMatchObject({ "error.type": "timeout" });
    expect(one(SpanKind.SERVER).status.code).toBe(SpanStatusCode.ERROR);
  });

  it("a cancel: ERROR cancelled on the client span and on the server span", async () => {
    const ch = channel("server");
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    ch.raw.register("wait", (req) => {
      started();
      return new Promise((resolve) => req.signal.addEventListener("abort", () => resolve(Buffer.alloc(0))));
    });
    const hostPort = await ch.listen();
    const controller = new AbortController();
    const call = channel("client").raw({ service: "server", endpoint: "wait", hostPort, signal: controller.signal });
    await running;
    controller.abort();
    await expect(call).rejects.toBeInstanceOf(TChannelError);
    await settled(2);
    expect(one(SpanKind.CLIENT).attributes).toMatchObject({ "error.type": "cancelled" });
    expect(one(SpanKind.SERVER).attributes).toMatchObject({ "error.type": "cancelled" });
  });

  it("a retry on another peer: a child span for the retry, which the second server's span descends from", async () => {
    const busy = channel("server");
    busy.raw.register("echo", () => {
      throw new BusyError("busy");
    });
    const busyHostPort = await busy.listen();
    const { hostPort: okHostPort } = await server();
    const client = channel("client", { knownPeers: [busyHostPort, okHostPort] });
    await client.ping(busyHostPort);
    await client.ping(okHostPort);
    // Peers tie on pending calls and break ties at random: call until one goes to the busy peer first.
    let retry: ReadableSpan | undefined;
    for (let i = 0; i < 40 && retry === undefined; i++) {
      exporter.reset();
      const res = await client.raw({ service: "server", endpoint: "echo", body: Buffer.from("x"), retryLimit: 1 });
      expect(res.body.toString()).toBe("x");
      retry = spans(SpanKind.CLIENT).find((s) => s.attributes["tchannel.attempt"] === 1);
    }
    expect(retry).toBeDefined();
    await settled(4);
    const call = spans(SpanKind.CLIENT).find((s) => s.attributes["tchannel.attempt"] === undefined)!;
    expect(call.attributes["tchannel.retry_count"]).toBe(1);
    expect(call.status.code).toBe(SpanStatusCode.UNSET);
    expect(parentOf(retry!)).toBe(call.spanContext().spanId);
    expect(retry!.attributes["server.port"]).toBe(Number(okHostPort.split(":")[1]));
    expect(retry!.status.code).toBe(SpanStatusCode.UNSET);
    const okServer = spans(SpanKind.SERVER).find((s) => s.status.code === SpanStatusCode.UNSET)!;
    expect(parentOf(okServer)).toBe(retry!.spanContext().spanId);
    const busyServer = spans(SpanKind.SERVER).find((s) => s.attributes["error.type"] === "busy")!;
    expect(parentOf(busyServer)).toBe(call.spanContext().spanId);
  });

  it("sampling is honoured both ways: our decision goes out as the flag, and the flag decides the server span", async () => {
    const ch = channel("server");
    const flags: number[] = [];
    ch.register("peek", "raw", (call) => {
      flags.push(call.tracing[24]!);
      return { ok: true, arg2: Buffer.alloc(0), arg3: Buffer.alloc(0) };
    });
    const hostPort = await ch.listen();
    const client = channel("client");
    // Root decisions by kind; a span with a parent follows the parent's flag (ParentBased).
    sampler.rootFor = (kind) => (kind === SpanKind.CLIENT ? new AlwaysOnSampler() : new AlwaysOffSampler());
    await client.raw({ service: "server", endpoint: "peek", hostPort });
    await settled(2);
    expect(spans(SpanKind.CLIENT)).toHaveLength(1);
    expect(spans(SpanKind.SERVER)).toHaveLength(1); // recorded although a root SERVER span would not be
    exporter.reset();
    sampler.rootFor = (kind) => (kind === SpanKind.CLIENT ? new AlwaysOffSampler() : new AlwaysOnSampler());
    await client.raw({ service: "server", endpoint: "peek", hostPort });
    await new Promise((r) => setTimeout(r, 30));
    expect(exporter.getFinishedSpans()).toHaveLength(0); // not recorded although a root SERVER span would be
    expect(flags).toEqual([1, 0]);
  });
});
