import { type BenchOptions, type Cell, STREAM_CELL, formatSize } from "./bench-options.js";
import { BASELINE, type Implementation } from "./implementations.js";
import type { RunResult } from "./run-cell.js";
import { median } from "./stats.js";

/**
 * The medians over the repeats of one implementation in one cell: the measures of a RunResult,
 * plus how many repeats there were and how it compares with tchannel-node raw.
 */
export interface Summary extends Omit<RunResult, "repeat" | "calls" | "errors" | "errorSamples" | "failure"> {
  repeats: number;
  /** Summed over the repeats. */
  errors: number;
  /** Runs that produced no report. */
  failures: number;
  /** calls/s and p99 relative to tchannel-node raw in the same cell (NaN when it is absent). */
  callsVsBaseline: number;
  p99VsBaseline: number;
}

/** The Node versions of these runs or summaries, in order of first appearance. */
export function nodesOf(items: readonly { node: string }[]): string[] {
  return [...new Set(items.map((r) => r.node))];
}

export function summarize(runs: readonly RunResult[], options: BenchOptions): Summary[] {
  const out: Summary[] = [];
  for (const cell of options.cells) {
    for (const node of nodesOf(runs)) out.push(...summarizeCell(runs.filter((r) => r.node === node), cell, node, options));
  }
  return out;
}

/** One cell on one Node: ratios are to tchannel-node raw on that same Node. */
function summarizeCell(runs: readonly RunResult[], cell: Cell, node: string, options: BenchOptions): Summary[] {
  const inCell = runs.filter((r) => r.concurrency === cell.concurrency && r.size === cell.size);
  const baseline = inCell.filter((r) => r.impl === BASELINE);
  const baseCalls = median(baseline.map((r) => r.callsPerSec));
  const baseP99 = median(baseline.map((r) => r.p99Ms));
  return options.impls.filter((impl) => cell.impls === undefined || cell.impls.includes(impl)).map((impl): Summary => {
    const mine = inCell.filter((r) => r.impl === impl);
    const m = (pick: (r: RunResult) => number) => median(mine.map(pick));
    const callsPerSec = m((r) => r.callsPerSec);
    const p99Ms = m((r) => r.p99Ms);
    return {
      impl, node, concurrency: cell.concurrency, size: cell.size, repeats: mine.length,
      callsPerSec, p50Ms: m((r) => r.p50Ms), p99Ms, p999Ms: m((r) => r.p999Ms),
      cpuPerCallUs: m((r) => r.cpuPerCallUs), clientCpuPerCallUs: m((r) => r.clientCpuPerCallUs), serverCpuPerCallUs: m((r) => r.serverCpuPerCallUs),
      clientRssMiB: m((r) => r.clientRssMiB), serverRssMiB: m((r) => r.serverRssMiB),
      clientMinorGcPer1k: m((r) => r.clientMinorGcPer1k), clientMajorGcPer1k: m((r) => r.clientMajorGcPer1k),
      serverMinorGcPer1k: m((r) => r.serverMinorGcPer1k), serverMajorGcPer1k: m((r) => r.serverMajorGcPer1k),
      errors: mine.reduce((n, r) => n + r.errors, 0),
      failures: mine.filter((r) => r.failure !== undefined).length,
      callsVsBaseline: callsPerSec / baseCalls,
      p99VsBaseline: p99Ms / baseP99,
    };
  });
}

const num = (v: number, digits: number) => (Number.isFinite(v) ? v.toFixed(digits) : "–");
const int = (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString("en-US") : "–");
const ratio = (v: number) => (Number.isFinite(v) ? `${v.toFixed(2)}×` : "–");
const ms = (v: number) => (!Number.isFinite(v) ? "–" : v < 10 ? v.toFixed(3) : v.toFixed(1));

/** The table of every summary; a Node column when the run compared several. */
export function markdownTable(summaries: readonly Summary[]): string {
  const several = nodesOf(summaries).length > 1;
  const lines = [
    `| C | size |${several ? " Node |" : ""} impl | calls/s | × node raw | p50 ms | p99 ms | p999 ms | p99 × node raw | CPU µs/call (client+server) | RSS MiB client / server | GC /1k calls client / server (minor+major) | errors |`,
    `| ---: | ---: |${several ? " --- |" : ""} --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |`,
  ];
  for (const s of summaries) {
    const errors = s.failures > 0 ? `${s.errors} (${s.failures} runs failed)` : String(s.errors);
    lines.push(
      `| ${s.concurrency} | ${formatSize(s.size)} |${several ? ` ${s.node} |` : ""} ${s.impl} | ${int(s.callsPerSec)} | ${ratio(s.callsVsBaseline)} | ${ms(s.p50Ms)} | ${ms(s.p99Ms)} | ${ms(s.p999Ms)} | ${ratio(s.p99VsBaseline)} | ${num(s.cpuPerCallUs, 1)} (${num(s.clientCpuPerCallUs, 1)}+${num(s.serverCpuPerCallUs, 1)}) | ${num(s.clientRssMiB, 0)} / ${num(s.serverRssMiB, 0)} | ${num(s.clientMinorGcPer1k, 0)}+${num(s.clientMajorGcPer1k, 0)} / ${num(s.serverMinorGcPer1k, 0)}+${num(s.serverMajorGcPer1k, 0)} | ${errors} |`,
    );
  }
  return lines.join("\n");
}

/**
 * With several Nodes: per cell and implementation, calls/s and the ratio to tchannel-node raw on
 * each Node, and how the first Node's ratio compares with each other's (> 1: our lead over
 * tchannel-node is larger on the first). Empty with one Node.
 */
export function nodeComparisonTable(summaries: readonly Summary[]): string {
  const nodes = nodesOf(summaries);
  if (nodes.length < 2) return "";
  const [first, ...others] = nodes as [string, ...string[]];
  const lines = [
    `| C | size | impl |${nodes.map((n) => ` calls/s ${n} | × node raw ${n} |`).join("")}${others.map((n) => ` × node raw ${first} / ${n} |`).join("")}`,
    `| ---: | ---: | --- |${nodes.map(() => " ---: | ---: |").join("")}${others.map(() => " ---: |").join("")}`,
  ];
  const seen = new Set<string>();
  for (const s of summaries) {
    const key = `${s.concurrency}/${s.size}/${s.impl}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const on = (node: string) => summaries.find((x) => x.node === node && x.concurrency === s.concurrency && x.size === s.size && x.impl === s.impl);
    const cols = nodes.map((n) => ` ${int(on(n)?.callsPerSec ?? Number.NaN)} | ${ratio(on(n)?.callsVsBaseline ?? Number.NaN)} |`).join("");
    const change = others.map((n) => ` ${ratio((on(first)?.callsVsBaseline ?? Number.NaN) / (on(n)?.callsVsBaseline ?? Number.NaN))} |`).join("");
    lines.push(`| ${s.concurrency} | ${formatSize(s.size)} | ${s.impl} |${cols}${change}`);
  }
  return lines.join("\n");
}

function find(summaries: readonly Summary[], impl: Implementation, cell: Cell): Summary | undefined {
  return summaries.find((s) => s.impl === impl && s.concurrency === cell.concurrency && s.size === cell.size);
}

/** The issue's targets, checked against this run where it measured the cells they need. */
export function targetLines(summaries: readonly Summary[]): string[] {
  const lines: string[] = [];
  const check = (label: string, ok: boolean, detail: string) => lines.push(`- ${ok ? "met" : "NOT met"}: ${label} (${detail})`);
  const small = { concurrency: 32, size: 64 };
  const ours = find(summaries, "ours-raw", small);
  const node = find(summaries, "node-raw", small);
  if (ours && node) {
    check("C=32, 64 B: ≥ 5× tchannel-node raw calls/s", ours.callsVsBaseline >= 5, ratio(ours.callsVsBaseline));
    check("C=32, 64 B: p99 ≤ 0.2× tchannel-node raw", ours.p99VsBaseline <= 0.2, ratio(ours.p99VsBaseline));
    check("C=32, 64 B: CPU ≤ 15 µs per call", ours.cpuPerCallUs <= 15, `${num(ours.cpuPerCallUs, 1)} µs`);
  }
  const mid = find(summaries, "ours-raw", { concurrency: 32, size: 4096 });
  if (mid && Number.isFinite(mid.callsVsBaseline)) check("C=32, 4 KiB: ≥ 4× tchannel-node raw", mid.callsVsBaseline >= 4, ratio(mid.callsVsBaseline));
  const bigCell = { concurrency: 256, size: 256 * 1024 };
  const big = find(summaries, "ours-raw", bigCell);
  const floor = find(summaries, "bare-net", bigCell);
  if (big) {
    const bigErrors = ["ours-raw", "ours-json", "ours-thrift"].reduce((n, impl) => n + (find(summaries, impl as Implementation, bigCell)?.errors ?? 0), 0);
    check("256 KiB at C=256: zero errors (ours)", bigErrors === 0 && big.failures === 0, `${bigErrors} errors`);
    if (floor) check("256 KiB at C=256: ≥ 0.8× the bare-net floor", big.callsPerSec >= 0.8 * floor.callsPerSec, ratio(big.callsPerSec / floor.callsPerSec));
  }
  const stream = find(summaries, "ours-stream", STREAM_CELL);
  const streamFloor = find(summaries, "bare-net", STREAM_CELL);
  if (stream && streamFloor) {
    const mb = (x: Summary) => `${((x.callsPerSec * x.size) / 1e6).toFixed(0)} MB/s`;
    check("streamed 64 MiB: ≥ 0.5× the floor's bytes/s (issue 18)", stream.callsPerSec >= 0.5 * streamFloor.callsPerSec, `${ratio(stream.callsPerSec / streamFloor.callsPerSec)}: ${mb(stream)} vs ${mb(streamFloor)} each way`);
    // The client keeps its 64 MiB payload to check the echo against; the server holds only what streams.
    check("streamed 64 MiB: server peak RSS < 100 MB (issue 18; both sides at 1 GiB: packages/interop streaming-memory)", stream.serverRssMiB * 1.048576 < 100, `${num(stream.serverRssMiB, 0)} MiB; client ${num(stream.clientRssMiB, 0)} MiB with its payload`);
  }
  const thriftRatios: string[] = [];
  let thriftOk = true;
  let rssOk = true;
  const rssMisses: string[] = [];
  for (const raw of summaries.filter((s) => s.impl === "ours-raw")) {
    const cell = { concurrency: raw.concurrency, size: raw.size };
    const thrift = find(summaries, "ours-thrift", cell);
    if (thrift) {
      const r = thrift.callsPerSec / raw.callsPerSec;
      thriftRatios.push(`${raw.concurrency}×${formatSize(raw.size)} ${r.toFixed(2)}`);
      if (!(r >= 0.8)) thriftOk = false;
    }
    const nodeRaw = find(summaries, "node-raw", cell);
    if (nodeRaw) {
      const mine = Math.max(raw.clientRssMiB, raw.serverRssMiB);
      const theirs = Math.max(nodeRaw.clientRssMiB, nodeRaw.serverRssMiB);
      if (!(mine <= theirs)) {
        rssOk = false;
        rssMisses.push(`${raw.concurrency}×${formatSize(raw.size)} ${num(mine, 0)} vs ${num(theirs, 0)} MiB`);
      }
    }
  }
  if (thriftRatios.length > 0) check("our thrift ≥ 0.8× our raw calls/s in every cell", thriftOk, thriftRatios.join(", "));
  if (summaries.some((s) => s.impl === "node-raw") && summaries.some((s) => s.impl === "ours-raw")) {
    check("peak RSS (larger of client and server) of ours raw ≤ tchannel-node raw's in every cell", rssOk, rssMisses.length ? rssMisses.join(", ") : "every cell");
  }
  return lines;
}
