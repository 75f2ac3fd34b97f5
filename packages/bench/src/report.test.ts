import { describe, expect, it } from "@jest/globals";
import { parseBenchOptions } from "./bench-options.js";
import { markdownTable, nodeComparisonTable, summarize } from "./report.js";
import type { RunResult } from "./run-cell.js";

// --node 24,20: each Node's ratios are to tchannel-node raw on that same Node, never across Nodes.
function run(node: string, impl: RunResult["impl"], callsPerSec: number, p99Ms: number, repeat = 0): RunResult {
  return {
    impl, node, concurrency: 32, size: 64, repeat, callsPerSec, p50Ms: p99Ms / 2, p99Ms, p999Ms: p99Ms * 2,
    cpuPerCallUs: 10, clientCpuPerCallUs: 6, serverCpuPerCallUs: 4, clientRssMiB: 60, serverRssMiB: 70,
    clientMinorGcPer1k: 1, clientMajorGcPer1k: 0, serverMinorGcPer1k: 2, serverMajorGcPer1k: 0,
    calls: callsPerSec, errors: 0, errorSamples: [],
  };
}

describe("a run on several Nodes", () => {
  const options = parseBenchOptions(["--impl", "ours-raw,node-raw", "--cells", "32x64", "--node", "24,20"], "/tmp");
  const runs = [
    run("v24.22.3", "ours-raw", 90_000, 1, 0),
    run("v24.22.3", "ours-raw", 110_000, 1, 1),
    run("v24.22.3", "node-raw", 30_000, 4),
    run("v20.20.2", "ours-raw", 80_000, 1),
    run("v20.20.2", "node-raw", 40_000, 2),
  ];
  const summaries = summarize(runs, options);

  it("parses --node and names the report after it", () => {
    expect(options.nodes).toEqual(["24", "20"]);
    expect(options.name).toBe("bench-partial-node-24-20");
    expect(() => parseBenchOptions(["--node", "latest"], "/tmp")).toThrow(/--node wants Node majors/);
  });

  it("summarizes each Node apart, with ratios to tchannel-node raw on the same Node", () => {
    expect(summaries.map((s) => [s.node, s.impl, s.repeats, s.callsPerSec, s.callsVsBaseline, s.p99VsBaseline])).toEqual([
      ["v24.22.3", "ours-raw", 2, 100_000, 100_000 / 30_000, 0.25],
      ["v24.22.3", "node-raw", 1, 30_000, 1, 1],
      ["v20.20.2", "ours-raw", 1, 80_000, 2, 0.5],
      ["v20.20.2", "node-raw", 1, 40_000, 1, 1],
    ]);
  });

  it("shows a Node column, and a comparison of the ratios across Nodes", () => {
    expect(markdownTable(summaries)).toContain("| 32 | 64 B | v20.20.2 | ours-raw | 80,000 | 2.00× |");
    const comparison = nodeComparisonTable(summaries).split("\n");
    expect(comparison[0]).toBe("| C | size | impl | calls/s v24.22.3 | × node raw v24.22.3 | calls/s v20.20.2 | × node raw v20.20.2 | × node raw v24.22.3 / v20.20.2 |");
    expect(comparison[2]).toBe("| 32 | 64 B | ours-raw | 100,000 | 3.33× | 80,000 | 2.00× | 1.67× |");
  });

  it("keeps the one-Node table as it was", () => {
    const one = summarize(runs.filter((r) => r.node === "v20.20.2"), options);
    expect(markdownTable(one).split("\n")[0]).toMatch(/^\| C \| size \| impl \|/);
    expect(nodeComparisonTable(one)).toBe("");
  });
});
