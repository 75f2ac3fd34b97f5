import type { CallResult, RawCallOptions } from "./call-types.js";

/** What an interceptor may know of the channel making a call: its name and its known peers. */
export interface InterceptedChannel {
  readonly name: string;
  readonly knownPeers: readonly string[];
}

/**
 * The blocking counterpart of `CallInterceptor`, for clients whose calls return synchronously
 * (`SyncTChannel` of @tchannel/sync, which consults it on the calling thread before it hands the
 * call to its worker). It sees the low-level call (args as bytes, any scheme) and returns what the
 * caller gets: `next(options)` makes the real call; returning or throwing anything else stands in
 * for it. It must not wait for I/O: the caller's thread is the one it runs on.
 */
export type SyncCallInterceptor = (options: RawCallOptions, channel: InterceptedChannel, next: (options: RawCallOptions) => CallResult) => CallResult;

let active: SyncCallInterceptor | undefined;

/**
 * Sets the sync interceptor for every synchronous client in this thread (undefined removes it)
 * and returns the one it replaces, as `setCallInterceptor` does for `TChannel.call`.
 */
export function setSyncCallInterceptor(interceptor: SyncCallInterceptor | undefined): SyncCallInterceptor | undefined {
  const previous = active;
  active = interceptor;
  return previous;
}

/** The sync interceptor in force, if any (read on every sync call: a variable, no lookup). */
export function syncCallInterceptor(): SyncCallInterceptor | undefined {
  return active;
}
