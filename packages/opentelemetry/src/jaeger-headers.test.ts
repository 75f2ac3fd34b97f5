import diagnostics from "node:diagnostics_channel";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import { SpanKind, context, propagation } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { JaegerPropagator } from "@opentelemetry/propagator-jaeger";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { CLIENT_CALL_CHANNEL, type ClientCallMessage, TChannel } from "@tchannel/channel";
import { encodeTracing } from "@tchannel/frame";
import { jsonClient } from "@tchannel/json";
import { type TChannelInstrumentation, instrumentTChannel } from "./tchannel-instrumentation.js";

// tchannel-go with a Jaeger tracer writes `$tracing$uber-trace-id` (`trace:span:parent:flags`, hex)
// into json/thrift headers and copies the same ids into the frame's tracing field. With
// @opentelemetry/propagator-jaeger registered, we read and write exactly that.

const exporter = new InMemorySpanExporter();
let instrumentation: TChannelInstrumentation;
const open: TChannel[] = [];

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new JaegerPropagator());
  instrumentation = instrumentTChannel({ metrics: false, tracerProvider: new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }) });
});
afterAll(() => {
  instrumentation.disable();
  context.disable();
  propagation.disable();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
  exporter.reset();
});

function channel(name: string): TChannel {
  const ch = new TChannel({ name });
  open.push(ch);
  return ch;
}

describe("Jaeger's uber-trace-id in $tracing$ headers (tchannel-go's format)", () => {
  it("a call as tchannel-go sends it: our server span continues the Jaeger trace", async () => {
    const server = channel("server");
    let seen: Record<string, string> | undefined;
    jsonClient(server).register("echo", (req) => {
      seen = { ...req.headers };
      return req.body;
    });
    const hostPort = await server.listen();
    // Play tchannel-go: its ids in the frame and in the header (after our instrumentation's start).
    const goTracing = encodeTracing({ spanId: 0x00f067aa0ba902b7n, parentId: 0n, traceId: 0x4bf92f3577b34da6n, flags: 1 });
    const asGo = (m: ClientCallMessage) => {
      m.tracing = goTracing;
      m.arg2 = Buffer.from(JSON.stringify({ app: "1", "$tracing$uber-trace-id": "4bf92f3577b34da6:00f067aa0ba902b7:0:1" }));
    };
    const tc = diagnostics.tracingChannel<unknown, ClientCallMessage>(CLIENT_CALL_CHANNEL);
    const handlers = { start: asGo, end() {}, asyncStart() {}, asyncEnd() {}, error() {} };
    tc.subscribe(handlers);
    try {
      await jsonClient(channel("go-client"))({ service: "server", endpoint: "echo", body: {}, hostPort });
    } finally {
      tc.unsubscribe(handlers);
    }
    for (let i = 0; i < 100 && exporter.getFinishedSpans().length < 2; i++) await new Promise((r) => setTimeout(r, 5));
    const srv = exporter.getFinishedSpans().find((s) => s.kind === SpanKind.SERVER)!;
    expect(srv.spanContext().traceId).toBe("00000000000000004bf92f3577b34da6");
    expect(srv.parentSpanContext?.spanId).toBe("00f067aa0ba902b7");
    expect(srv.spanContext().traceFlags & 1).toBe(1);
    expect(seen).toEqual({ app: "1" });
  });

  it("our json calls carry $tracing$uber-trace-id with our span's ids, as tchannel-go reads it", async () => {
    const server = channel("server");
    let rawHeaders: Record<string, string> | undefined;
    server.register("peek", "json", (call) => {
      rawHeaders = JSON.parse(call.arg2.toString());
      return { ok: true, arg2: Buffer.from("{}"), arg3: Buffer.from("null") };
    });
    const hostPort = await server.listen();
    await jsonClient(channel("client"))({ service: "server", endpoint: "peek", hostPort, headers: { app: "1" } });
    for (let i = 0; i < 100 && exporter.getFinishedSpans().length < 2; i++) await new Promise((r) => setTimeout(r, 5));
    const client = exporter.getFinishedSpans().find((s) => s.kind === SpanKind.CLIENT)!;
    const [trace, span, , flags] = rawHeaders!["$tracing$uber-trace-id"]!.split(":");
    expect(trace!.padStart(32, "0")).toBe(client.spanContext().traceId);
    expect(span!.padStart(16, "0")).toBe(client.spanContext().spanId);
    expect(Number.parseInt(flags!, 16) & 1).toBe(1);
    expect(rawHeaders!.app).toBe("1");
  });
});
