import { AsyncLocalStorage } from "node:async_hooks";
import type { ServerCallMessage } from "./diagnostics.js";

/**
 * The context of the inbound call being handled: outgoing calls made inside a handler inherit its
 * trace (as child spans, spec §11) and its remaining deadline (spec §12, as tchannel-go does).
 */
export interface RequestContext {
  readonly tracing: Uint8Array;
  /** `performance.now()` value at which the inbound caller stops waiting. */
  readonly deadline: number;
  readonly service: string;
  readonly endpoint: string;
  /** The call's diagnostics message, when someone subscribes to `tchannel:server:call` (its outgoing calls' `parent`). */
  readonly call: ServerCallMessage | undefined;
}

export const requestContextStorage = new AsyncLocalStorage<RequestContext>();

/** The context of the inbound call being handled, if any. */
export function currentRequestContext(): RequestContext | undefined {
  return requestContextStorage.getStore();
}
