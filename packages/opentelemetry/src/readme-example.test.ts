// The README's "Turning it on" block, verbatim between the markers (a test below checks), then run.
// README:begin
import { context, propagation } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { instrumentTChannel } from "@tchannel/opentelemetry";

// The application's SDK (any exporter will do; an in-memory one here).
class Reader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());
const spans = new InMemorySpanExporter();
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
const meterProvider = new MeterProvider({ readers: [new Reader()] });

// The one line. Without the providers it uses the global ones (`trace`/`metrics` of the API):
// call it after the SDK registered them (a meter taken before that stays a no-op).
const instrumentation = instrumentTChannel({ tracerProvider, meterProvider });
// ... instrumentation.disable() stops it.
// README:end

import { afterAll, expect, it } from "@jest/globals";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { TChannel } from "@tchannel/channel";

afterAll(() => {
  instrumentation.disable();
  context.disable();
  propagation.disable();
});

it("is the README's code block", () => {
  const readme = readFileSync(join(__dirname, "..", "README.md"), "utf8");
  const block = /```ts\n([\s\S]*?)```/.exec(readme)![1];
  const self = readFileSync(__filename, "utf8");
  expect(self.slice(self.indexOf("// README:begin\n") + 16, self.indexOf("// README:end"))).toBe(block);
});

it("turns spans and metrics on", async () => {
  const server = new TChannel({ name: "server" });
  server.raw.register("echo", (req) => req.body);
  const hostPort = await server.listen();
  const client = new TChannel({ name: "client" });
  await client.raw({ service: "server", endpoint: "echo", body: Buffer.from("x"), hostPort });
  await client.close();
  await server.close();
  expect(spans.getFinishedSpans().map((s) => s.name)).toEqual(["server/echo", "server/echo"]);
  void meterProvider;
});
