import { randomBytes } from "node:crypto";

/**
 * An IdGenerator (the SDK's interface, structurally) whose trace ids have their high 64 bits zero.
 * Peers that only know the 64-bit tracing field (tchannel-node, Hyperbahn, Zipkin-era Go and
 * Python) carry the low half of a trace id; with this generator that half is all of it, so a trace
 * that leaves through such a peer and comes back keeps its id. Pass it to the SDK's tracer provider
 * (`new NodeTracerProvider({ idGenerator: new TChannelIdGenerator() })`) when such peers sit
 * between your services; with 128-bit ids the trace still continues, under a zero-padded id.
 */
export class TChannelIdGenerator {
  generateTraceId(): string {
    return "0000000000000000" + nonZeroHex();
  }

  generateSpanId(): string {
    return nonZeroHex();
  }
}

function nonZeroHex(): string {
  for (;;) {
    const hex = randomBytes(8).toString("hex");
    if (hex !== "0000000000000000") return hex;
  }
}
