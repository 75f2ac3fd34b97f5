// The echo benchmark (issue 7): `pnpm bench` at the root, or `node dist/main.js [--short] ...`
// here (see bench-options.ts for the flags). For every cell (C calls in flight, S-byte payloads)
// and every repeat, each implementation runs as a server process and a client process (pinned to
// CPUs 0 and 1 when taskset exists), in an order rotated per repeat so noise hits all alike.
// Writes <out>/<name>.json and .md and prints the markdown table.
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { arch, cpus, platform, release, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { formatSize, parseBenchOptions } from "./bench-options.js";
import { familyOf } from "./implementations.js";
import { markdownTable, nodeComparisonTable, nodesOf, summarize, targetLines } from "./report.js";
import { CURRENT_NODE, type NodeBinary, PINNED, type RunResult, runCell } from "./run-cell.js";

const options = parseBenchOptions(process.argv.slice(2), fileURLToPath(new URL("../results", import.meta.url)));

if (options.impls.some((impl) => familyOf(impl) === "node")) {
  // tchannel-node 4.0.1 comes from packages/interop's standalone npm project, installed (once,
  // idempotently) by its script on the peers' pinned Node; its addons are N-API, so the bench
  // loads it on whichever Node runs the bench (both sides measured on the same V8).
  const { INSTALL_PEERS_SCRIPT } = await import("./tchannel-node.js");
  const res = spawnSync("bash", [INSTALL_PEERS_SCRIPT], { stdio: ["ignore", "inherit", "inherit"] });
  if (res.status !== 0) {
    process.stderr.write("bench: installing tchannel-node failed (packages/interop/scripts/install-peers.sh)\n");
    process.exit(1);
  }
}

// --node 24,20: the pinned Node of each line (scripts/install-node.sh installs it on first use);
// every implementation runs on each, interleaved with the others, so noise hits all alike.
function pinnedNode(major: string): NodeBinary {
  const script = fileURLToPath(new URL("../../../scripts/install-node.sh", import.meta.url));
  const res = spawnSync("bash", [script, major], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  if (res.status !== 0) {
    process.stderr.write(`bench: installing Node ${major} failed (scripts/install-node.sh)\n`);
    process.exit(1);
  }
  const path = join(res.stdout.trim(), "node");
  return { path, version: spawnSync(path, ["--version"], { encoding: "utf8" }).stdout.trim() };
}
const nodes: NodeBinary[] = options.nodes.length > 0 ? options.nodes.map(pinnedNode) : [CURRENT_NODE];

const machine = {
  cpu: cpus()[0]?.model ?? "unknown",
  cpus: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  os: `${platform()} ${release()} ${arch()}`,
  node: nodes.map((n) => n.version).join(", "),
  pinned: PINNED,
};
const started = new Date();
const runs: RunResult[] = [];
const implsOf = (cell: (typeof options.cells)[number]) => options.impls.filter((impl) => cell.impls === undefined || cell.impls.includes(impl));
const pairsOf = (cell: (typeof options.cells)[number]) => nodes.flatMap((node) => implsOf(cell).map((impl) => ({ node, impl })));
const total = options.cells.reduce((n, cell) => n + pairsOf(cell).length, 0) * options.repeats;
for (const cell of options.cells) {
  const pairs = pairsOf(cell);
  for (let repeat = 0; repeat < options.repeats; repeat++) {
    const order = pairs.map((_, i) => pairs[(i + repeat) % pairs.length]!);
    for (const { node, impl } of order) {
      const result = await runCell(impl, cell, repeat, options.warmupMs, options.measureMs, node);
      runs.push(result);
      const what = result.failure ? `FAILED: ${result.failure.split("\n")[0]}` : `${Math.round(result.callsPerSec)} calls/s, p99 ${result.p99Ms.toFixed(3)} ms, ${result.cpuPerCallUs.toFixed(1)} µs CPU/call, ${result.errors} errors`;
      const on = nodes.length > 1 ? ` on ${node.version}` : "";
      process.stderr.write(`[${runs.length}/${total}] C=${cell.concurrency} ${formatSize(cell.size)} ${impl}${on} #${repeat + 1}: ${what}\n`);
    }
  }
}

const summaries = summarize(runs, options);
// The issue-7 targets, per Node when the run compared several.
const targets = nodesOf(summaries).flatMap((node) => {
  const lines = targetLines(summaries.filter((s) => s.node === node));
  return nodes.length > 1 ? lines.map((line) => line.replace(/^- /, `- ${node}: `)) : lines;
});
const comparison = nodeComparisonTable(summaries);
const header = [
  `Echo benchmark, ${started.toISOString().slice(0, 16).replace("T", " ")} UTC: ${machine.cpus} × ${machine.cpu}, ${machine.memoryGiB} GiB, ${machine.os}, Node ${machine.node}.`,
  `Server and client in separate processes${PINNED ? " pinned to CPU 0 and CPU 1 (taskset)" : " (not pinned: no taskset or one CPU)"}; ${options.warmupMs} ms warm-up, ${options.measureMs} ms window, median of ${options.repeats} repeat(s); ratios are to tchannel-node 4.0.1 raw in the same cell${nodes.length > 1 ? " on the same Node" : ""}.`,
].join("\n");
const markdown = `${header}\n\n${markdownTable(summaries)}\n${comparison ? `\nAcross Nodes:\n\n${comparison}\n` : ""}${targets.length ? `\nTargets (issue 7):\n${targets.join("\n")}\n` : ""}`;
mkdirSync(options.outDir, { recursive: true });
const base = join(options.outDir, options.name);
writeFileSync(`${base}.md`, markdown);
writeFileSync(
  `${base}.json`,
  `${JSON.stringify({ date: started.toISOString(), machine, settings: { warmupMs: options.warmupMs, measureMs: options.measureMs, repeats: options.repeats }, summaries, runs, targets }, null, 2)}\n`,
);
process.stdout.write(`${markdown}\nwrote ${base}.md and ${base}.json\n`);
