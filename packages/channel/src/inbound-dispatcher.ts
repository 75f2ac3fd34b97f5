import { type AssembledMessage, type CallReqFrame, ErrorCode } from "@tchannel/frame";
import type { InboundCall, InboundHandler, OutboundReply, TransportInfo } from "./call-types.js";
import { setCoarseTimeout } from "./coarse-timeout.js";
import type { Connection } from "./connection.js";
import { type ServerCallMessage, serverCallChannel } from "./diagnostics.js";
import { CancelledError, NetworkError, TChannelError, TimeoutError } from "./errors.js";
import { requestContextStorage } from "./request-context.js";
import { serverCallAbandoned, serverCallAnswered, serverCallMessage, serverCallSettled } from "./server-call-events.js";

interface Registration {
  scheme: string;
  handler: InboundHandler;
  /** The endpoint's own `maxRequestSize`, if it has one. */
  maxRequestSize: number | undefined;
}

interface InboundState {
  /** Created only when a handler looks at its signal: most never do. */
  controller: AbortController | undefined;
  /** Why the call ended early (timeout, cancel, connection closed), once it has. */
  abortReason: string | undefined;
  timer: NodeJS.Timeout;
  done: boolean;
  /** Its `tracing:tchannel:server:call` message, when that channel had subscribers as it arrived. */
  message: ServerCallMessage | undefined;
  /** The request's tracing, for the answer to a cancel. */
  tracing: Uint8Array;
}

/** The handler's AbortSignal, made on first use; already aborted if the call ended early. */
function signalOf(state: InboundState): AbortSignal {
  if (!state.controller) {
    state.controller = new AbortController();
    if (state.abortReason !== undefined) state.controller.abort(new CancelledError(state.abortReason));
  }
  return state.controller.signal;
}

/**
 * What a low-level handler receives. A class, so that `signal` is a prototype getter: V8 builds an
 * object literal with a getter on a slow path, per call (issue 7's allocation profile).
 */
class InboundCallView implements InboundCall {
  readonly #state: InboundState;
  constructor(
    public service: string,
    public endpoint: string,
    public arg2: Buffer,
    public arg3: Buffer,
    public transport: TransportInfo,
    public deadline: number,
    public tracing: Uint8Array,
    public remoteHostPort: string,
    state: InboundState,
  ) {
    this.#state = state;
  }

  get signal(): AbortSignal {
    return signalOf(this.#state);
  }
}

const EMPTY = Buffer.alloc(0);

/**
 * The inbound flow of a channel: the handlers registered by service and endpoint, and every call
 * request a connection delivers, from the checks of its transport headers to the handler (inside
 * the request context, with its TTL timer and AbortSignal) and the answer (call res or error
 * frame). It counts the calls in progress so that a closing channel can wait for them.
 */
export class InboundDispatcher {
  readonly #channelName: string;
  readonly #maxRequestSize: number;
  readonly #maxArgSize: number;
  /** Endpoints registered with their own `maxRequestSize`: none, usually, and then no lookup. */
  #sizeOverrides = 0;
  readonly #handlers = new Map<string, Map<string, Registration>>();
  readonly #inbound = new Map<Connection, Map<number, InboundState>>();
  #fallback: InboundHandler | undefined;
  #closing = false;
  #inflight = 0;
  #drained: (() => void) | undefined;

  constructor(channelName: string, options: { maxRequestSize: number; maxArgSize: number }) {
    this.#channelName = channelName;
    this.#maxRequestSize = options.maxRequestSize;
    this.#maxArgSize = options.maxArgSize;
  }

  /** The largest call request accepted for the service and endpoint a first frame names. */
  requestSizeLimit(first: CallReqFrame): number {
    if (this.#sizeOverrides === 0) return this.#maxRequestSize;
    const arg1 = first.args[0];
    const endpoint = arg1 === undefined ? "" : Buffer.from(arg1.buffer, arg1.byteOffset, arg1.byteLength).toString("utf8");
    return this.#handlers.get(first.service)?.get(endpoint)?.maxRequestSize ?? this.#maxRequestSize;
  }

  /** Inbound calls being handled, across every connection. */
  get inflight(): number {
    return this.#inflight;
  }

  register(service: string, endpoint: string, scheme: string, handler: InboundHandler, maxRequestSize: number | undefined): void {
    let endpoints = this.#handlers.get(service);
    if (!endpoints) this.#handlers.set(service, (endpoints = new Map()));
    if (endpoints.get(endpoint)?.maxRequestSize !== undefined) this.#sizeOverrides--;
    if (maxRequestSize !== undefined) this.#sizeOverrides++;
    endpoints.set(endpoint, { scheme, handler, maxRequestSize });
  }

  setFallbackHandler(handler: InboundHandler | undefined): void {
    this.#fallback = handler;
  }

  /** From now on new calls are declined; resolves when the calls in progress have finished. */
  drain(): Promise<void> {
    this.#closing = true;
    if (this.#inflight === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.#drained = resolve;
    });
  }

  /** A connection closed: its calls in progress are over (their handlers' signals abort). */
  onConnectionClosed(conn: Connection): void {
    const inbound = this.#inbound.get(conn);
    if (inbound) {
      for (const state of inbound.values()) this.#finish(state, "connection closed", NetworkError);
      this.#inbound.delete(conn);
    }
  }

  onCancel(conn: Connection, id: number): void {
    const state = this.#inbound.get(conn)?.get(id);
    if (!state || state.done) return;
    this.#inbound.get(conn)!.delete(id);
    // The protocol's answer to a cancel (spec §10): error 0x02 for that id; the handler's signal aborts.
    conn.sendError(id, ErrorCode.Cancelled, state.tracing, "request cancelled by the caller");
    this.#finish(state, "cancelled by the caller", CancelledError);
  }

  /** Ends an inbound call; `reason` (timeout, cancel, close) aborts the handler's signal. */
  #finish(state: InboundState, reason?: string, ended?: new (message: string) => TChannelError): void {
    if (state.done) return;
    state.done = true;
    clearTimeout(state.timer);
    if (reason !== undefined) {
      state.abortReason = reason;
      state.controller?.abort(new CancelledError(reason));
      if (state.message !== undefined && ended !== undefined) serverCallAbandoned(state.message, new ended(reason));
    }
    this.#inflight--;
    if (this.#inflight === 0) this.#drained?.();
  }

  onCallRequest(conn: Connection, message: AssembledMessage<CallReqFrame>): void {
    const frame = message.frame;
    const id = frame.id;
    const tracing = frame.tracing;
    const endpoint = message.args[0].toString("utf8");
    const headers = frame.headers;
    const scheme = headers.as;
    const callerName = headers.cn;
    if (scheme === undefined) {
      conn.sendError(id, ErrorCode.BadRequest, tracing, 'Expected incoming call request to have "as" header set');
      return;
    }
    if (callerName === undefined) {
      conn.sendError(id, ErrorCode.BadRequest, tracing, 'Expected incoming call request to have "cn" header set');
      return;
    }
    if (this.#closing) {
      conn.sendError(id, ErrorCode.Declined, tracing, `closed channel: ${this.#channelName} is shutting down`);
      return;
    }
    const registration = this.#handlers.get(frame.service)?.get(endpoint);
    let handler: InboundHandler;
    if (registration !== undefined) {
      if (registration.scheme !== scheme) {
        conn.sendError(id, ErrorCode.BadRequest, tracing, `Server expected a '${registration.scheme}' but request is '${scheme}' (endpoint ${JSON.stringify(endpoint)})`);
        return;
      }
      handler = registration.handler;
    } else if (this.#fallback !== undefined) {
      handler = this.#fallback;
    } else {
      conn.sendError(id, ErrorCode.BadRequest, tracing, `no such endpoint service=${JSON.stringify(frame.service)} endpoint=${JSON.stringify(endpoint)}`);
      return;
    }

    let inbound = this.#inbound.get(conn);
    if (!inbound) this.#inbound.set(conn, (inbound = new Map()));
    const calls = inbound;
    const started = performance.now();
    const deadline = started + frame.ttl;
    const observed = serverCallChannel.hasSubscribers ? serverCallMessage(frame, endpoint, scheme, callerName, conn.remoteHostPort, message.args[1]) : undefined;
    const state: InboundState = { controller: undefined, abortReason: undefined, done: false, timer: undefined as unknown as NodeJS.Timeout, message: observed, tracing };
    const expire = () => {
      if (state.done) return;
      // Never early (a timer can fire ~1 ms before its time): wait out the rest.
      const now = performance.now();
      if (now < deadline) {
        state.timer = setTimeout(expire, Math.ceil(deadline - now));
        return;
      }
      calls.delete(id);
      conn.sendError(id, ErrorCode.Timeout, tracing, `request timed out after ${Math.floor(now - started)}ms (limit was ${frame.ttl}ms)`);
      this.#finish(state, "timed out", TimeoutError);
    };
    state.timer = setCoarseTimeout(expire, frame.ttl, undefined);
    calls.set(id, state);
    this.#inflight++;

    const transport = {
      callerName,
      scheme,
      ttl: frame.ttl,
      flags: frame.flags,
      shardKey: headers.sk,
      routingDelegate: headers.rd,
      retryFlags: headers.re,
      headers,
    };
    const call = new InboundCallView(frame.service, endpoint, message.args[1], message.args[2], transport, deadline, tracing, conn.remoteHostPort, state);
    const context = { tracing, deadline, service: frame.service, endpoint, call: observed };
    const settle = (reply: OutboundReply | undefined, error: unknown) => {
      if (state.done) return; // timed out or cancelled: the answer was given already
      calls.delete(id);
      this.#finish(state);
      if (observed !== undefined) serverCallSettled(observed, reply, error);
      let failure: unknown;
      if (error === undefined && (reply!.arg2.length > this.#maxArgSize || reply!.arg3.length > this.#maxArgSize)) {
        error = failure = new Error(`the handler's answer has an arg of ${Math.max(reply!.arg2.length, reply!.arg3.length)} bytes, over maxArgSize (${this.#maxArgSize})`);
      }
      if (error === undefined) {
        try {
          conn.sendResponse({
            id,
            code: reply!.ok ? 0 : 1,
            tracing,
            headers: { as: scheme },
            // A response uses the request's checksum type (spec §6).
            checksumType: frame.checksumType,
            args: [EMPTY, reply!.arg2, reply!.arg3],
          });
          if (observed !== undefined) serverCallAnswered(observed, undefined);
          return;
        } catch (err) {
          error = failure = err;
        }
      }
      if (error instanceof TChannelError && error.wireCode !== undefined) {
        conn.sendError(id, error.wireCode, tracing, error.message);
      } else {
        const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        conn.sendError(id, ErrorCode.Unexpected, tracing, `unexpected error in handler for ${JSON.stringify(endpoint)}: ${text}`);
      }
      if (observed !== undefined) serverCallAnswered(observed, failure);
    };
    let result: OutboundReply | Promise<OutboundReply> | undefined;
    let thrown: unknown;
    const run = () =>
      requestContextStorage.run(context, () => {
        try {
          result = handler(call);
        } catch (err) {
          thrown = err ?? new Error("handler threw");
        }
      });
    if (observed === undefined) run();
    else {
      // The handler runs inside start.runStores, as TracingChannel's helpers run theirs; `end`
      // marks the end of its synchronous part, before its answer is written.
      serverCallChannel.start.runStores(observed, run);
      serverCallChannel.end.publish(observed);
    }
    if (thrown !== undefined) settle(undefined, thrown);
    else if (result instanceof Promise) result.then((r) => settle(r, undefined), (err) => settle(undefined, err ?? new Error("handler rejected")));
    else settle(result, undefined);
  }
}
