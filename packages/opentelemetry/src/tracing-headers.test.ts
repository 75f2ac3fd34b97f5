import { ROOT_CONTEXT, TraceFlags, propagation, trace } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { decodeHeaderMap, encodeHeaderMap } from "@tchannel/frame";
import { extractTracingHeaders, injectTracingHeaders, readApplicationHeaders } from "./tracing-headers.js";

const parent = trace.setSpanContext(ROOT_CONTEXT, { traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331", traceFlags: TraceFlags.SAMPLED });

describe("$tracing$ application headers", () => {
  beforeAll(() => propagation.setGlobalPropagator(new W3CTraceContextPropagator()));
  afterAll(() => propagation.disable());

  it("adds the propagator's fields with the $tracing$ prefix to json headers, keeping the application's", () => {
    const arg2 = injectTracingHeaders("json", Buffer.from('{"user":"x"}'), parent);
    const headers = JSON.parse(Buffer.from(arg2).toString());
    expect(headers).toEqual({ user: "x", $tracing$traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" });
  });

  it("adds them to thrift's nh:2 header map", () => {
    const arg2 = injectTracingHeaders("thrift", encodeHeaderMap({ a: "b" }, 2), parent);
    expect({ ...decodeHeaderMap(arg2, 2) }).toEqual({ a: "b", $tracing$traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" });
  });

  it("leaves raw arg2, unparsable headers and empty contexts alone", () => {
    const raw = Buffer.from("opaque");
    expect(injectTracingHeaders("raw", raw, parent)).toBe(raw);
    const bad = Buffer.from("[1]");
    expect(injectTracingHeaders("json", bad, parent)).toBe(bad);
    const plain = Buffer.from("{}");
    expect(injectTracingHeaders("json", plain, ROOT_CONTEXT)).toBe(plain);
  });

  it("extracts the context from either scheme's headers, and nothing when there are none", () => {
    for (const scheme of ["json", "thrift"]) {
      const arg2 = injectTracingHeaders(scheme, scheme === "json" ? Buffer.from("{}") : encodeHeaderMap({}, 2), parent);
      const sc = trace.getSpanContext(extractTracingHeaders(scheme, arg2)!);
      expect(sc).toMatchObject({ traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331", isRemote: true });
    }
    expect(extractTracingHeaders("json", Buffer.from('{"a":"b"}'))).toBeUndefined();
    expect(extractTracingHeaders("raw", Buffer.from('{"$tracing$traceparent":"x"}'))).toBeUndefined();
  });

  it("reads Jaeger-style keys written by tchannel-go (uber-trace-id) as plain prefixed headers", () => {
    const headers = readApplicationHeaders("json", Buffer.from('{"$tracing$uber-trace-id":"8448eb211c80319c:b7ad6b7169203331:0:1"}'));
    expect(headers).toEqual({ "$tracing$uber-trace-id": "8448eb211c80319c:b7ad6b7169203331:0:1" });
  });
});
