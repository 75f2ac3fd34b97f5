// The `tchannel-ts/opentelemetry` entry point: OpenTelemetry spans, metrics and trace propagation,
// turned on by one call, `instrumentTChannel()`, once the OpenTelemetry SDK is started.
// A subpath of its own so that the main entry point never loads @opentelemetry/api.
export * from "@tchannel/opentelemetry";
