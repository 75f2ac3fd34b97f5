// @tchannel/opentelemetry: spans, metrics and trace propagation for tchannel-ts, built on the
// core's node:diagnostics_channel events and @opentelemetry/api alone (no SDK dependency).
export { INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION, TChannelInstrumentation, instrumentTChannel, type TChannelInstrumentationConfig } from "./tchannel-instrumentation.js";
export { TChannelIdGenerator } from "./id-generator.js";
export { spanContextFromTracing, tracingFromSpanContext } from "./wire-ids.js";
export { extractTracingHeaders, injectTracingHeaders } from "./tracing-headers.js";
export type { SemconvMode } from "./semconv.js";
