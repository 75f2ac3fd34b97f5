import type { GcCounts } from "./gc-counter.js";
import type { Family, Implementation } from "./implementations.js";

// The line protocol between the parent (main.ts) and its two children. Server: prints
// `READY <port>`; on stdin `mark` it starts its CPU clock, on `report` it prints
// `REPORT <ServerReport>`; it exits when stdin closes. Client: prints `WINDOW start` and
// `WINDOW end` around the measuring window, then `RESULT <ClientReport>`, and exits.

export interface ServerArgs {
  family: Family;
}

export interface ClientArgs {
  impl: Implementation;
  hostPort: string;
  concurrency: number;
  size: number;
  warmupMs: number;
  measureMs: number;
}

export interface ServerReport {
  /** CPU between `mark` and `report`, µs. */
  cpuMicros: number;
  /** process.resourceUsage().maxRSS, KiB. */
  maxRssKiB: number;
  /** Garbage collections between `mark` and `report`. */
  gc: GcCounts;
}

export interface ClientReport {
  calls: number;
  errors: number;
  errorSamples: string[];
  elapsedMs: number;
  cpuMicros: number;
  maxRssKiB: number;
  /** Garbage collections in the window. */
  gc: GcCounts;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
}

export function encodeLine(tag: string, value?: unknown): string {
  return value === undefined ? `${tag}\n` : `${tag} ${JSON.stringify(value)}\n`;
}
