// A benchmark client process: `node dist/client-process.js '<ClientArgs JSON>'` (see child-protocol.ts).
import { type ClientArgs, type ClientReport, encodeLine } from "./child-protocol.js";
import type { EchoClient } from "./echo-adapter.js";
import { type GcCounts, GcCounter } from "./gc-counter.js";
import { familyOf, schemeOf } from "./implementations.js";
import { runLoop } from "./load-loop.js";
import { percentile } from "./stats.js";

const args = JSON.parse(process.argv[2] ?? "{}") as ClientArgs;

async function connect(): Promise<EchoClient> {
  const family = familyOf(args.impl);
  const scheme = schemeOf(args.impl);
  if (family === "ours") {
    await (await import("./otel-setup.js")).instrumentFromEnv();
    return (await import("./ours.js")).oursClient(scheme, args.hostPort);
  }
  if (family === "node") return (await import("./tchannel-node.js")).nodeClient(scheme, args.hostPort);
  return (await import("./bare-net.js")).netClient(args.hostPort);
}

const client = await connect();
const workers = Array.from({ length: args.concurrency }, () => client.worker(args.size));
// One call first: connected, handshaken, and the echo checked once before the clock starts.
await new Promise<void>((resolve, reject) => workers[0]!(0, (err) => (err ? reject(err) : resolve())));
const gc = new GcCounter();
let gcInWindow: GcCounts = { minor: Number.NaN, major: Number.NaN };
const result = await runLoop(workers, {
  concurrency: args.concurrency,
  warmupMs: args.warmupMs,
  measureMs: args.measureMs,
  onWindow: (edge) => {
    if (edge === "start") gc.mark();
    else gcInWindow = gc.read();
    process.stdout.write(encodeLine("WINDOW", edge));
  },
});
const report: ClientReport = {
  calls: result.calls,
  errors: result.errors,
  errorSamples: result.errorSamples,
  elapsedMs: result.elapsedMs,
  cpuMicros: result.cpuMicros,
  maxRssKiB: process.resourceUsage().maxRSS,
  gc: gcInWindow,
  p50Ms: percentile(result.latencies, 0.5),
  p99Ms: percentile(result.latencies, 0.99),
  p999Ms: percentile(result.latencies, 0.999),
};
process.stdout.write(encodeLine("RESULT", report), () => process.exit(0));
