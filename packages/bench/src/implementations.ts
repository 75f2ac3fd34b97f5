import { fileURLToPath } from "node:url";

/** The implementations one run compares. A server process serves every scheme of its family. */
export const IMPLEMENTATIONS = ["ours-raw", "ours-json", "ours-thrift", "ours-stream", "node-raw", "node-json", "node-thrift", "bare-net"] as const;
export type Implementation = (typeof IMPLEMENTATIONS)[number];

export type Family = "ours" | "node" | "net";
/** "stream": raw with streamed bodies (callStreamed / registerStreamed, issue 18); ours only. */
export type Scheme = "raw" | "json" | "thrift" | "stream";

export function familyOf(impl: Implementation): Family {
  return impl === "bare-net" ? "net" : impl.startsWith("ours-") ? "ours" : "node";
}

export function schemeOf(impl: Implementation): Scheme {
  return impl.endsWith("-json") ? "json" : impl.endsWith("-thrift") ? "thrift" : impl.endsWith("-stream") ? "stream" : "raw";
}

/** The ratios in the report are to this one (the baseline). */
export const BASELINE: Implementation = "node-raw";

/** Every server registers these (tchannel-node dispatches on arg1 alone, so names differ per scheme). */
export const SERVICE = "bench";
export const RAW_ENDPOINT = "echo";
export const JSON_ENDPOINT = "echo-json";
export const THRIFT_ENDPOINT = "Bench::echo";
export const STREAM_ENDPOINT = "echo-stream";
/** The chunks a streamed body is sent in. */
export const STREAM_CHUNK = 64 * 1024;
/** Long enough that only a broken peer times out; timeouts count as errors. */
export const CALL_TIMEOUT_MS = 10_000;

export function isImplementation(s: string): s is Implementation {
  return (IMPLEMENTATIONS as readonly string[]).includes(s);
}

/** bench.thrift sits in the package root, beside both src/ and dist/. */
export const BENCH_THRIFT: string = fileURLToPath(new URL("../bench.thrift", import.meta.url));
