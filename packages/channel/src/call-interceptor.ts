import type { CallResult, RawCallOptions } from "./call-types.js";
import type { TChannel } from "./tchannel.js";

/**
 * Sees every outgoing low-level call of every TChannel in this thread before it is made, and
 * decides what the caller gets: `next(options)` makes the real call (with these or changed
 * options); returning or throwing anything else stands in for it. Test tools use it (the cassettes
 * of @tchannel/vcr); it is process-wide because the code under test owns its channels.
 */
export type CallInterceptor = (options: RawCallOptions, channel: TChannel, next: (options: RawCallOptions) => Promise<CallResult>) => Promise<CallResult>;

let active: CallInterceptor | undefined;

/**
 * Sets the interceptor for every TChannel in this thread (undefined removes it) and returns the one
 * it replaces, so a caller can put it back. One at a time: nesting is the caller's business.
 */
export function setCallInterceptor(interceptor: CallInterceptor | undefined): CallInterceptor | undefined {
  const previous = active;
  active = interceptor;
  return previous;
}

/** The interceptor in force, if any (read by `TChannel.call` on every call: a variable, no lookup). */
export function callInterceptor(): CallInterceptor | undefined {
  return active;
}
