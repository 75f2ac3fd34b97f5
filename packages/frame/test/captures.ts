// Loads the golden frames captured from tchannel-node 4.0.1 (copied from the team's spec so the
// package does not depend on anything outside itself).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export interface CapturedFrame {
  dir: "C->S" | "S->C";
  hex: string;
  parsed: {
    size: number;
    type: string;
    id: number;
    body: Record<string, unknown> & {
      flags?: number;
      ttl?: number;
      code?: number | string;
      service?: string;
      headers?: Record<string, string>;
      version?: number;
      message?: string;
      tracing?: { spanid: string; parentid: string; traceid: string; traceflags: number };
      csum?: { type: number; value: string };
      args?: { len: number; hex: string }[];
    };
  };
}

const dir = join(__dirname, "fixtures", "captures");

export function loadCaptures(): Map<string, CapturedFrame[]> {
  const out = new Map<string, CapturedFrame[]>();
  for (const name of readdirSync(dir).filter((f) => f.endsWith(".json")).sort()) {
    out.set(name, JSON.parse(readFileSync(join(dir, name), "utf8")) as CapturedFrame[]);
  }
  return out;
}
