// `TCHANNEL_BENCH_OTEL=<ratio>` (e.g. 0.01 or 1): our server and client processes run with the
// OpenTelemetry SDK and @tchannel/opentelemetry on, sampling that share of root spans (servers
// follow the caller's flag), spans batched to an exporter that drops them and metrics aggregated
// in memory, so the bench measures what instrumentation costs a call, not an exporter's I/O.
export async function instrumentFromEnv(): Promise<void> {
  const setting = process.env.TCHANNEL_BENCH_OTEL;
  if (setting === undefined || setting === "") return;
  const ratio = Number(setting);
  if (!(ratio >= 0 && ratio <= 1)) throw new Error(`TCHANNEL_BENCH_OTEL must be a ratio in [0, 1], got ${setting}`);
  const { context, propagation } = await import("@opentelemetry/api");
  const { AsyncLocalStorageContextManager } = await import("@opentelemetry/context-async-hooks");
  const { W3CTraceContextPropagator } = await import("@opentelemetry/core");
  const { MeterProvider, MetricReader } = await import("@opentelemetry/sdk-metrics");
  const { BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler } = await import("@opentelemetry/sdk-trace-base");
  const { instrumentTChannel } = await import("@tchannel/opentelemetry");
  class KeepingReader extends MetricReader {
    protected async onShutdown(): Promise<void> {}
    protected async onForceFlush(): Promise<void> {}
  }
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const dropping = { export: (_spans: unknown[], done: (result: { code: number }) => void) => done({ code: 0 }), shutdown: async () => {} };
  const tracerProvider = new BasicTracerProvider({
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) }),
    spanProcessors: [new BatchSpanProcessor(dropping)],
  });
  instrumentTChannel({ tracerProvider, meterProvider: new MeterProvider({ readers: [new KeepingReader()] }) });
}
