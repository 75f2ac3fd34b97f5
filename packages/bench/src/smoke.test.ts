import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// CI smoke of the benchmark: the short mode, one cell, ours raw only (no tchannel-node install).
// It checks that the pipeline works (processes, window, report), never how fast anything is.
const MAIN = join(__dirname, "..", "dist", "main.js");

it("a short run of ours-raw at C=32, 64 B reports calls and no errors", () => {
  expect(existsSync(MAIN)).toBe(true); // `test` depends on `build` (turbo.json)
  const out = mkdtempSync(join(tmpdir(), "bench-smoke-"));
  try {
    const res = spawnSync(process.execPath, [MAIN, "--short", "--impl", "ours-raw", "--cells", "32x64", "--out", out], { encoding: "utf8", timeout: 60_000 });
    expect(res.stderr).toContain("C=32 64 B ours-raw #1");
    expect(res.status).toBe(0);
    const report = JSON.parse(readFileSync(join(out, "bench-short-partial.json"), "utf8"));
    expect(report.summaries).toHaveLength(1);
    const [summary] = report.summaries;
    expect(summary).toMatchObject({ impl: "ours-raw", concurrency: 32, size: 64, errors: 0, failures: 0 });
    expect(summary.callsPerSec).toBeGreaterThan(0);
    expect(report.runs[0].calls).toBeGreaterThan(0);
    expect(readFileSync(join(out, "bench-short-partial.md"), "utf8")).toContain("| 32 | 64 B | ours-raw |");
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}, 90_000);
