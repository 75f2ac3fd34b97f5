/**
 * A timer for a deadline that may fire a little late: the duration is rounded up to a multiple of
 * about 1/64 of itself. Node keeps one timer list per distinct duration; per-call TTLs differ by a
 * millisecond or two (9 998, 9 999, 10 000 ms), so exact durations create and destroy a list (and a
 * priority-queue entry) for nearly every call, while rounded ones share a few (issue 7's profile).
 * Durations up to 64 ms are exact; longer ones fire at most 1.6% late, never early.
 */
export function setCoarseTimeout<T>(callback: (arg: T) => void, ms: number, arg: T): NodeJS.Timeout {
  return setTimeout(callback, coarseDuration(ms), arg);
}

export function coarseDuration(ms: number): number {
  if (ms <= 64) return ms;
  const step = 2 ** (Math.floor(Math.log2(ms)) - 6);
  return Math.ceil(ms / step) * step;
}
