/**
 * When to advertise next. A healthy service re-advertises every `interval` ±20% (jitter keeps a
 * fleet restarted together from advertising in lockstep); after failures it backs off like
 * tchannel-node's HyperbahnClient (200 ms, 1 s, 1 s, 2 s, 3 s, 5 s, 8 s, then every 10 s), never
 * waiting longer than the healthy interval, since Hyperbahn forgets a service that goes quiet.
 */
const FAILURE_DELAYS = [200, 1_000, 1_000, 2_000, 3_000, 5_000, 8_000, 10_000];

export function healthyDelay(interval: number, random: () => number = Math.random): number {
  return Math.round(interval * (0.8 + 0.4 * random()));
}

/** The wait after the `failures`-th failure in a row (1 = the first). */
export function failureDelay(failures: number, interval: number): number {
  const i = Math.min(Math.max(failures, 1), FAILURE_DELAYS.length) - 1;
  return Math.min(FAILURE_DELAYS[i]!, interval);
}
