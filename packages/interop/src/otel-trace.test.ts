import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { SpanKind, context, propagation } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { TChannel } from "@tchannel/channel";
import { TChannelIdGenerator, type TChannelInstrumentation, instrumentTChannel } from "@tchannel/opentelemetry";
import { type NodeServer, ensurePeersInstalled, startNodeServer } from "./peers.js";

// Trace continuity across a real peer: our client's span A → Uber's tchannel-node 4.0.1, whose
// handler calls our server as a child of its inbound request (parent: req, the way tchannel-node
// propagates the tracing field) → our server's span is in A's trace. tchannel-node knows only
// the 64-bit field: with TChannelIdGenerator's ids (high half zero) the trace id survives whole,
// with 128-bit ids its low half does.

const exporter = new InMemorySpanExporter();
let node: NodeServer;
let ours: TChannel;
let client: TChannel;
let oursHostPort: string;
let instrumentation: TChannelInstrumentation;

beforeAll(async () => {
  ensurePeersInstalled();
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  instrumentation = instrumentTChannel({ metrics: false, tracerProvider: new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }) });
  node = await startNodeServer({ service: "node-server" });
  ours = new TChannel({ name: "ts-server" });
  ours.raw.register("leaf", (req) => Buffer.concat([Buffer.from("leaf:"), req.body]));
  oursHostPort = await ours.listen();
  client = new TChannel({ name: "ts-client" });
}, 180_000);

afterAll(async () => {
  instrumentation.disable();
  context.disable();
  propagation.disable();
  await client?.close();
  await ours?.close();
  await node?.stop();
});

async function throughNode(provider: BasicTracerProvider): Promise<{ a: ReadableSpan; clientSpan: ReadableSpan; serverSpan: ReadableSpan }> {
  exporter.reset();
  instrumentation.setTracerProvider(provider);
  const tracer = provider.getTracer("interop");
  await tracer.startActiveSpan("A", async (a) => {
    const res = await client.raw({
      service: "node-server",
      endpoint: "forward",
      body: Buffer.from(JSON.stringify({ hostPort: oursHostPort, service: "ts-server", endpoint: "leaf", body: "x" })),
      hostPort: node.hostPort,
    });
    expect(res.body.toString()).toBe("leaf:x");
    a.end();
  });
  for (let i = 0; i < 100 && exporter.getFinishedSpans().length < 3; i++) await new Promise((r) => setTimeout(r, 10));
  const spans = exporter.getFinishedSpans();
  return {
    a: spans.find((s) => s.name === "A")!,
    clientSpan: spans.find((s) => s.kind === SpanKind.CLIENT && s.name === "node-server/forward")!,
    serverSpan: spans.find((s) => s.kind === SpanKind.SERVER && s.name === "ts-server/leaf")!,
  };
}

describe("trace continuity through tchannel-node 4.0.1", () => {
  it("our server's span has A's trace id (64-bit ids: the whole id), sampled, parented by tchannel-node's hop", async () => {
    const { a, clientSpan, serverSpan } = await throughNode(new BasicTracerProvider({ idGenerator: new TChannelIdGenerator(), spanProcessors: [new SimpleSpanProcessor(exporter)] }));
    expect(a.spanContext().traceId).toMatch(/^0{16}[0-9a-f]{16}$/);
    expect(clientSpan.spanContext().traceId).toBe(a.spanContext().traceId);
    expect(serverSpan.spanContext().traceId).toBe(a.spanContext().traceId);
    // tchannel-node made its own span for its outgoing call: our server's parent is that hop,
    // whose parent (on the wire, not visible here) is our client span.
    expect(serverSpan.parentSpanContext?.isRemote).toBe(true);
    expect(serverSpan.parentSpanContext?.spanId).not.toBe(clientSpan.spanContext().spanId);
    expect(serverSpan.spanContext().traceFlags & 1).toBe(1);
  });

  it("with 128-bit trace ids the server's span continues the trace under its low 64 bits", async () => {
    const { a, serverSpan } = await throughNode(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
    expect(serverSpan.spanContext().traceId).toBe("0000000000000000" + a.spanContext().traceId.slice(16));
  });
});
