import type { EchoCall } from "./echo-adapter.js";

export interface LoopResult {
  /** Calls completed successfully inside the measuring window. */
  calls: number;
  /** Calls that failed (an error, a timeout or a response that differs) inside the window. */
  errors: number;
  /** A few distinct error messages, for the report. */
  errorSamples: string[];
  /** The window's actual length. */
  elapsedMs: number;
  /** Latency of every call completed in the window, ms, sorted ascending. */
  latencies: Float64Array;
  /** CPU used by this process in the window, µs (user + system). */
  cpuMicros: number;
}

export interface LoopOptions {
  concurrency: number;
  warmupMs: number;
  measureMs: number;
  /** Called when the window opens and closes (the parent marks the server's CPU clock then). */
  onWindow(edge: "start" | "end"): void;
  /** How long to wait for calls in flight after the window; they are not counted. */
  drainMs?: number;
}

/**
 * A closed loop: `concurrency` workers, each sending its next call as soon as the previous one
 * is answered. Warm-up first (not counted), then the measuring window. A failed call is counted
 * and its worker waits 1 ms before the next one, so a dead connection does not spin.
 */
export function runLoop(workers: EchoCall[], options: LoopOptions): Promise<LoopResult> {
  let phase: "warmup" | "measure" | "drain" = "warmup";
  let latencies = new Float64Array(1 << 16);
  let calls = 0;
  let errors = 0;
  const errorSamples = new Set<string>();
  let inflight = 0;
  let windowStart = 0;
  let elapsedMs = 0;
  let cpuStart = process.cpuUsage();
  let cpuMicros = 0;
  let seq = 0;

  return new Promise<LoopResult>((resolve) => {
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      const sorted = latencies.subarray(0, calls + errors).slice().sort();
      resolve({ calls, errors, errorSamples: [...errorSamples], elapsedMs, latencies: sorted, cpuMicros });
    };
    const record = (ms: number) => {
      const n = calls + errors;
      if (n === latencies.length) {
        const grown = new Float64Array(latencies.length * 2);
        grown.set(latencies);
        latencies = grown;
      }
      latencies[n] = ms;
    };
    const next = (call: EchoCall) => {
      if (phase === "drain") {
        if (--inflight === 0) finish();
        return;
      }
      const started = performance.now();
      call(++seq, (error) => {
        if (phase === "measure") {
          record(performance.now() - started);
          if (error === undefined) calls++;
          else {
            errors++;
            if (errorSamples.size < 5) errorSamples.add(`${error.name}: ${error.message}`.slice(0, 200));
          }
        }
        if (error === undefined) next(call);
        else setTimeout(() => next(call), 1);
      });
    };
    for (const w of workers) {
      inflight++;
      next(w);
    }
    setTimeout(() => {
      phase = "measure";
      windowStart = performance.now();
      cpuStart = process.cpuUsage();
      options.onWindow("start");
      setTimeout(() => {
        const cpu = process.cpuUsage(cpuStart);
        elapsedMs = performance.now() - windowStart;
        cpuMicros = cpu.user + cpu.system;
        options.onWindow("end");
        // Calls still in flight finish uncounted: `calls` and `latencies` are the window's.
        phase = "drain";
        setTimeout(finish, options.drainMs ?? 3000).unref();
      }, options.measureMs);
    }, options.warmupMs);
  });
}
