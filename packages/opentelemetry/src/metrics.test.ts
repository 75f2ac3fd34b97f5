import { afterAll, afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import { type Attributes } from "@opentelemetry/api";
import { type DataPoint, type Histogram, MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import { BusyError, Response, TChannel } from "@tchannel/channel";
import { type TChannelInstrumentation, instrumentTChannel } from "./tchannel-instrumentation.js";

/** A reader the test collects from when it wants. */
class TestReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

const reader = new TestReader();
const provider = new MeterProvider({ readers: [reader] });
let instrumentation: TChannelInstrumentation;
const open: TChannel[] = [];

beforeAll(() => {
  instrumentation = instrumentTChannel({ meterProvider: provider, spans: false });
});
afterAll(async () => {
  instrumentation.disable();
  await provider.shutdown();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

function channel(name: string, options: Partial<ConstructorParameters<typeof TChannel>[0]> = {}): TChannel {
  const ch = new TChannel({ name, ...options });
  open.push(ch);
  return ch;
}

async function points(name: string): Promise<DataPoint<unknown>[]> {
  const { resourceMetrics } = await reader.collect();
  const metric = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name);
  return (metric?.dataPoints ?? []) as DataPoint<unknown>[];
}

async function value(name: string, attributes: Attributes): Promise<number> {
  const found = (await points(name)).filter((p) => Object.entries(attributes).every(([k, v]) => p.attributes[k] === v));
  return found.reduce((sum, p) => sum + (typeof p.value === "number" ? p.value : (p.value as Histogram).count), 0);
}

describe("metrics named after tchannel-go's stats", () => {
  it("counts calls sent, received, succeeded, app errors, system errors by type, retries, latency and connections", async () => {
    const server = channel("kv");
    server.raw.register("get", () => Buffer.from("v"));
    server.raw.register("miss", () => new Response(Buffer.from("not found"), Buffer.alloc(0), { status: 1 }));
    server.raw.register("busy", () => {
      throw new BusyError("busy");
    });
    const hostPort = await server.listen();
    const client = channel("app");
    for (let i = 0; i < 3; i++) await client.raw({ service: "kv", endpoint: "get", hostPort });
    await client.raw({ service: "kv", endpoint: "miss", hostPort });
    await client.raw({ service: "kv", endpoint: "busy", hostPort, retryLimit: 2 }).catch(() => {});
    await new Promise((r) => setTimeout(r, 20)); // server-side ends follow the answers' writes

    const out = { service: "app", "target-service": "kv" };
    const inb = { "calling-service": "app", service: "kv" };
    expect(await value("tchannel.outbound.calls.send", { ...out, "target-endpoint": "get" })).toBe(3);
    expect(await value("tchannel.outbound.calls.success", { ...out, "target-endpoint": "get" })).toBe(3);
    expect(await value("tchannel.outbound.calls.app-errors", { ...out, "target-endpoint": "miss" })).toBe(1);
    expect(await value("tchannel.outbound.calls.per-attempt.app-errors", { ...out, "target-endpoint": "miss" })).toBe(1);
    // Busy is retried (on the same, only peer): 3 attempts, 2 retries, one failed call.
    expect(await value("tchannel.outbound.calls.send", { ...out, "target-endpoint": "busy" })).toBe(3);
    expect(await value("tchannel.outbound.calls.retries", { ...out, "target-endpoint": "busy" })).toBe(2);
    expect(await value("tchannel.outbound.calls.retries", { ...out, "target-endpoint": "busy", "retry-count": 2 })).toBe(1);
    expect(await value("tchannel.outbound.calls.system-errors", { ...out, "target-endpoint": "busy", type: "busy" })).toBe(1);
    expect(await value("tchannel.outbound.calls.per-attempt.system-errors", { ...out, "target-endpoint": "busy", type: "busy" })).toBe(3);
    expect(await value("tchannel.outbound.calls.latency", { ...out, "target-endpoint": "get" })).toBe(3);
    expect(await value("tchannel.outbound.calls.per-attempt.latency", { ...out, "target-endpoint": "busy" })).toBe(3);
    expect(await value("tchannel.outbound.calls.pending", out)).toBe(0);

    expect(await value("tchannel.inbound.calls.recvd", { ...inb, endpoint: "get" })).toBe(3);
    expect(await value("tchannel.inbound.calls.success", { ...inb, endpoint: "get" })).toBe(3);
    expect(await value("tchannel.inbound.calls.app-errors", { ...inb, endpoint: "miss" })).toBe(1);
    expect(await value("tchannel.inbound.calls.system-errors", { ...inb, endpoint: "busy", type: "busy" })).toBe(3);
    expect(await value("tchannel.inbound.calls.latency", { ...inb, endpoint: "get" })).toBe(3);
    expect(await value("tchannel.inbound.calls.pending", inb)).toBe(0);

    expect(await value("tchannel.connections.active", { direction: "out" })).toBe(1);
    expect(await value("tchannel.connections.active", { direction: "in" })).toBe(1);
    const sent = await value("tchannel.connections.bytes-sent", {});
    const recvd = await value("tchannel.connections.bytes-recvd", {});
    // Both ends of the one connection are in this process: what one side writes, the other reads.
    expect(sent).toBeGreaterThan(7 * 40);
    expect(recvd).toBe(sent);
  });

  it("pending calls go up while calls are in flight and connections down when they close", async () => {
    const server = channel("slow");
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    server.raw.register("wait", async () => {
      await gate;
      return Buffer.alloc(0);
    });
    const hostPort = await server.listen();
    const client = channel("waiter");
    const before = await value("tchannel.connections.active", {});
    const calls = [0, 1, 2].map(() => client.raw({ service: "slow", endpoint: "wait", hostPort }));
    for (let i = 0; i < 100 && (await value("tchannel.inbound.calls.pending", { service: "slow" })) < 3; i++) await new Promise((r) => setTimeout(r, 5));
    expect(await value("tchannel.outbound.calls.pending", { "target-service": "slow" })).toBe(3);
    expect(await value("tchannel.inbound.calls.pending", { service: "slow" })).toBe(3);
    release();
    await Promise.all(calls);
    expect(await value("tchannel.outbound.calls.pending", { "target-service": "slow" })).toBe(0);
    expect(await value("tchannel.connections.active", {})).toBe(before + 2);
    await Promise.all(open.splice(0).map((c) => c.close()));
    for (let i = 0; i < 100 && (await value("tchannel.connections.active", {})) > before; i++) await new Promise((r) => setTimeout(r, 5));
    expect(await value("tchannel.connections.active", {})).toBe(before);
  });
});
