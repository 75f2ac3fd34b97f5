import { afterAll, describe, expect, it } from "@jest/globals";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createServer as createHttpServer } from "node:http";
import { createServer as createNetServer } from "node:net";
import { join } from "node:path";

// `--otel` as a user runs it: the built server and client, the SDK's Prometheus exporter on
// 127.0.0.1 (scraped here after the calls) and spans over OTLP/HTTP to a collector (a stand-in
// HTTP endpoint here that keeps what it receives).

const app = join(__dirname, "..");
const children: ChildProcess[] = [];
const closers: Array<() => void> = [];
afterAll(() => {
  for (const c of children) c.kill("SIGKILL");
  for (const close of closers) close();
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
}

/** An OTLP/HTTP (JSON) traces endpoint that keeps the spans it receives. */
async function collector(): Promise<{ url: string; spans: OtlpSpan[] }> {
  const spans: OtlpSpan[] = [];
  const server = createHttpServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      if (req.url === "/v1/traces") {
        const data = JSON.parse(body) as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] };
        for (const rs of data.resourceSpans) for (const ss of rs.scopeSpans) spans.push(...ss.spans);
      }
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(() => server.close());
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, spans };
}

async function until<T>(what: string, f: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("the keyvalue example with --otel", () => {
  it("serves Prometheus metrics on 127.0.0.1 that count the calls, and exports spans of one trace from both sides", async () => {
    const otlp = await collector();
    const metricsPort = await freePort();
    const env = { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_BSP_SCHEDULE_DELAY: "100" };
    const server = spawn(process.execPath, [join(app, "dist", "server-main.js"), "--otel"], {
      env: { ...env, OTEL_EXPORTER_PROMETHEUS_PORT: String(metricsPort) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(server);
    let out = "";
    server.stdout!.on("data", (d) => (out += d));
    server.stderr!.on("data", (d) => (out += d));
    const hostPort = await until("the server", () => /Listening on (\S+)/.exec(out)?.[1]);
    expect(out).toContain(`Metrics on http://127.0.0.1:${metricsPort}/metrics`);

    const clientOut = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [join(app, "dist", "client-main.js"), "--peer", hostPort, "--missing", "bar", "--otel"], { env }, (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
      ),
    );
    expect(clientOut).toContain('getValue("foo") -> "Hello, world!"');

    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const sample = (name: string, endpoint: string): number | undefined => {
      const line = metrics.split("\n").find((l) => l.startsWith(`${name}{`) && l.includes(`endpoint="${endpoint}"`));
      return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
    };
    expect(sample("tchannel_inbound_calls_recvd_total", "KeyValue::setValue")).toBe(1);
    expect(sample("tchannel_inbound_calls_recvd_total", "KeyValue::getValue")).toBe(2);
    expect(sample("tchannel_inbound_calls_success_total", "KeyValue::getValue")).toBe(1);
    expect(sample("tchannel_inbound_calls_app_errors_total", "KeyValue::getValue")).toBe(1); // NotFoundError
    expect(metrics).toMatch(/tchannel_inbound_calls_recvd_total\{[^}]*calling_service="keyvalue-consumer"/);

    const spans = await until("spans of both sides", () => {
      const names = otlp.spans.filter((s) => s.name === "keyvalue-server/KeyValue::setValue");
      return names.length >= 2 ? otlp.spans : undefined;
    });
    const setValue = spans.filter((s) => s.name === "keyvalue-server/KeyValue::setValue");
    const client = setValue.find((s) => s.kind === 3)!; // CLIENT
    const served = setValue.find((s) => s.kind === 2)!; // SERVER
    expect(served.traceId).toBe(client.traceId);
    expect(served.parentSpanId).toBe(client.spanId);

    server.kill("SIGTERM");
    await until("the server to stop", () => (server.exitCode !== null ? true : undefined));
    expect(server.exitCode).toBe(0);
  }, 60_000);
});
