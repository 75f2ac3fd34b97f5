import { type Context, ROOT_CONTEXT, type TextMapGetter, propagation } from "@opentelemetry/api";
import { TRACING_HEADER_PREFIX } from "@tchannel/channel";
import { type HeaderMap, decodeHeaderMap, encodeHeaderMap } from "@tchannel/frame";

// `$tracing$` application headers (arg2) of json and thrift calls, the way tchannel-go and
// tchannel-python carry a tracer's text map: whatever propagator the application registered
// (W3C `traceparent` by default, Jaeger's `uber-trace-id` with @opentelemetry/propagator-jaeger)
// writes its keys with the prefix. Raw calls carry none (arg2 is opaque), as in Go and Python.
// json arg2 is a JSON object of strings (spec §15.2), thrift's an `nh:2` header map (spec §15.3).

/** The application headers of `arg2` for the schemes that have them, else undefined (raw, or bytes that do not parse). */
export function readApplicationHeaders(scheme: string, arg2: Uint8Array): Record<string, string> | undefined {
  try {
    if (scheme === "thrift") return decodeHeaderMap(arg2, 2);
    if (scheme === "json") {
      if (arg2.length === 0) return {};
      const value: unknown = JSON.parse(Buffer.from(arg2.buffer, arg2.byteOffset, arg2.byteLength).toString("utf8"));
      if (value === null) return {};
      if (typeof value !== "object" || Array.isArray(value)) return undefined;
      const headers: Record<string, string> = Object.create(null);
      for (const [k, v] of Object.entries(value)) {
        if (typeof v !== "string") return undefined;
        headers[k] = v;
      }
      return headers;
    }
  } catch {
    // Not ours to reject: the handler's scheme answers BadRequest for bad headers.
  }
  return undefined;
}

function writeApplicationHeaders(scheme: string, headers: Record<string, string>): Uint8Array {
  return scheme === "thrift" ? encodeHeaderMap(headers as HeaderMap, 2) : Buffer.from(JSON.stringify(headers));
}

/** `arg2` with the propagator's fields for `context` added as `$tracing$` headers (json, thrift); else `arg2` itself. */
export function injectTracingHeaders(scheme: string, arg2: Uint8Array, context: Context): Uint8Array {
  if (scheme !== "json" && scheme !== "thrift") return arg2;
  const fields: Record<string, string> = {};
  propagation.inject(context, fields);
  let any = false;
  for (const _ in fields) {
    any = true;
    break;
  }
  if (!any) return arg2;
  const headers = readApplicationHeaders(scheme, arg2);
  if (headers === undefined) return arg2;
  for (const key in fields) headers[TRACING_HEADER_PREFIX + key] = fields[key]!;
  return writeApplicationHeaders(scheme, headers);
}

const prefixedGetter: TextMapGetter<Record<string, string>> = {
  keys(carrier) {
    const keys: string[] = [];
    for (const key in carrier) if (key.startsWith(TRACING_HEADER_PREFIX)) keys.push(key.slice(TRACING_HEADER_PREFIX.length));
    return keys;
  },
  get(carrier, key) {
    return carrier[TRACING_HEADER_PREFIX + key];
  },
};

/** The context the `$tracing$` headers of an inbound json/thrift call carry, if they carry any. */
export function extractTracingHeaders(scheme: string, arg2: Uint8Array): Context | undefined {
  if (scheme !== "json" && scheme !== "thrift") return undefined;
  const headers = readApplicationHeaders(scheme, arg2);
  if (headers === undefined) return undefined;
  let any = false;
  for (const key in headers) {
    if (key.startsWith(TRACING_HEADER_PREFIX)) {
      any = true;
      break;
    }
  }
  return any ? propagation.extract(ROOT_CONTEXT, headers, prefixedGetter) : undefined;
}
