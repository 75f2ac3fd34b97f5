// A benchmark server process: `node dist/server-process.js <family>` (see child-protocol.ts).
import { createInterface } from "node:readline";
import { encodeLine, type ServerReport } from "./child-protocol.js";
import { GcCounter } from "./gc-counter.js";
import type { Family } from "./implementations.js";

async function start(family: Family): Promise<number> {
  // Each family loads only its own code, so peak RSS is that implementation's.
  if (family === "ours") {
    await (await import("./otel-setup.js")).instrumentFromEnv();
    return (await (await import("./ours.js")).startOursServer()).port;
  }
  if (family === "node") return (await (await import("./tchannel-node.js")).startNodeServer()).port;
  return (await (await import("./bare-net.js")).startNetServer()).port;
}

const family = process.argv[2] as Family;
const port = await start(family);
let mark = process.cpuUsage();
const gc = new GcCounter();
process.stdout.write(encodeLine("READY", port));
const lines = createInterface({ input: process.stdin });
lines.on("line", (line) => {
  if (line === "mark") {
    mark = process.cpuUsage();
    gc.mark();
  }
  else if (line === "report") {
    const cpu = process.cpuUsage(mark);
    const report: ServerReport = { cpuMicros: cpu.user + cpu.system, maxRssKiB: process.resourceUsage().maxRSS, gc: gc.read() };
    process.stdout.write(encodeLine("REPORT", report));
  }
});
lines.on("close", () => process.exit(0));
