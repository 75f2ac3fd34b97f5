import { context, propagation } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { PrometheusExporter } from "@opentelemetry/exporter-prometheus";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { MeterProvider } from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { instrumentTChannel } from "tchannel-ts/opentelemetry";

/** `--otel` or TCHANNEL_OTEL=1 (any value but "", "0" or "false"). */
export function otelWanted(flag: boolean | undefined): boolean {
  const env = process.env.TCHANNEL_OTEL;
  return flag === true || (env !== undefined && env !== "" && env !== "0" && env !== "false");
}

export interface OtelSetup {
  /** Where Prometheus scrapes, if it serves. */
  metricsUrl: string | undefined;
  /** Flushes spans and stops the exporters. */
  shutdown(): Promise<void>;
}

/**
 * The OpenTelemetry SDK for the example, then tchannel-ts's instrumentation (one line):
 * - metrics on a Prometheus exporter at http://OTEL_EXPORTER_PROMETHEUS_HOST:OTEL_EXPORTER_PROMETHEUS_PORT/metrics
 *   (127.0.0.1 and `defaultPrometheusPort`; the client serves none unless the port is set);
 * - spans over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT (or ..._TRACES_ENDPOINT), when one is set.
 */
export async function startOtel(serviceName: string, defaultPrometheusPort: number | undefined): Promise<OtelSetup> {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const resource = resourceFromAttributes({ "service.name": serviceName });

  const env = process.env;
  const portText = env.OTEL_EXPORTER_PROMETHEUS_PORT ?? (defaultPrometheusPort === undefined ? undefined : String(defaultPrometheusPort));
  let prometheus: PrometheusExporter | undefined;
  let metricsUrl: string | undefined;
  if (portText !== undefined) {
    const host = env.OTEL_EXPORTER_PROMETHEUS_HOST ?? "127.0.0.1";
    const port = Number(portText);
    prometheus = new PrometheusExporter({ host, port, preventServerStart: true });
    await prometheus.startServer();
    metricsUrl = `http://${host}:${port}/metrics`;
  }
  const meterProvider = new MeterProvider({ resource, readers: prometheus ? [prometheus] : [] });

  const tracesWanted = env.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT !== undefined;
  const tracerProvider = new BasicTracerProvider({ resource, spanProcessors: tracesWanted ? [new BatchSpanProcessor(new OTLPTraceExporter())] : [] });

  const instrumentation = instrumentTChannel({ tracerProvider, meterProvider });
  return {
    metricsUrl,
    async shutdown() {
      instrumentation.disable();
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
    },
  };
}
