/**
 * Application headers (arg2 of json and thrift calls) whose key starts with this carry a tracer's
 * context across processes: tchannel-go and tchannel-python write OpenTracing text maps there, e.g.
 * `$tracing$uber-trace-id` (Jaeger) or `$tracing$traceparent` (W3C). Handlers never see them, as in
 * tchannel-go, which removes them before its handlers run.
 */
export const TRACING_HEADER_PREFIX = "$tracing$";

/** Removes the `$tracing$` keys from freshly decoded application headers (in place); returns them. */
export function withoutTracingHeaders<H extends Record<string, string>>(headers: H): H {
  for (const key in headers) {
    if (key.startsWith(TRACING_HEADER_PREFIX)) delete headers[key];
  }
  return headers;
}
