import { type AssembledMessage, type CallReqFrame, ErrorCode, type HeaderMap, argSize, IdTable, decodeShortString, isOutgoingArg } from "@tchannel/frame";
import type { InboundCall, InboundHandler, OutboundReply, TransportInfo } from "./call-types.js";
import { setCoarseTimeout } from "./coarse-timeout.js";
import type { Connection } from "./connection.js";
import { type ServerCallMessage, serverCallChannel } from "./diagnostics.js";
import { CancelledError, NetworkError, TChannelError, TimeoutError } from "./errors.js";
import { type RequestContext, requestContextStorage } from "./request-context.js";
import { serverCallAbandoned, serverCallAnswered, serverCallMessage, serverCallSettled } from "./server-call-events.js";

interface Registration {
  scheme: string;
  handler: InboundHandler;
  /** The endpoint's own `maxRequestSize`, if it has one. */
  maxRequestSize: number | undefined;
}

/**
 * One inbound call in progress: its timer takes it as its argument and its answer is a method,
 * so a call costs this object rather than a state object plus closures for the timer, the answer
 * and the handler's run (issue 18's allocation profile of the small-call floor).
 */
class InboundState {
  /** Created only when a handler looks at its signal: most never do. */
  controller: AbortController | undefined = undefined;
  /** Why the call ended early (timeout, cancel, connection closed), once it has. */
  abortReason: string | undefined = undefined;
  timer: NodeJS.Timeout | undefined = undefined;
  done = false;

  constructor(
    readonly dispatcher: InboundDispatcher,
    readonly conn: Connection,
    /** The connection's calls in progress, by id. */
    readonly calls: IdTable<InboundState>,
    readonly frame: CallReqFrame,
    readonly endpoint: string,
    readonly scheme: string,
    readonly started: number,
    readonly deadline: number,
    /** Its `tracing:tchannel:server:call` message, when that channel had subscribers as it arrived. */
    readonly message: ServerCallMessage | undefined,
  ) {}

  /** The request's tracing, echoed in the answer (spec §11). */
  get tracing(): Uint8Array {
    return this.frame.tracing;
  }
}

/** The TTL timer fired: answer Timeout, unless the call ended meanwhile (never early, see expire). */
function onInboundTimer(state: InboundState): void {
  state.dispatcher.expire(state);
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
 * The transport headers of a call res: `as` only, the request's scheme. One map per scheme,
 * shared by every answer (the encoder only reads it), rather than one per call.
 */
const responseHeaderMaps = new Map<string, HeaderMap>();

function responseHeaders(scheme: string): HeaderMap {
  let headers = responseHeaderMaps.get(scheme);
  if (headers === undefined) {
    headers = Object.freeze({ as: scheme }) as HeaderMap;
    // Schemes are a handful of names; a peer sending random ones cannot grow this without bound.
    if (responseHeaderMaps.size >= 64) responseHeaderMaps.clear();
    responseHeaderMaps.set(scheme, headers);
  }
  return headers;
}

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
  readonly #inbound = new Map<Connection, IdTable<InboundState>>();
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

  /** A cancel frame for `id` (spec §10): true if it was a call of ours in progress, now answered. */
  onCancel(conn: Connection, id: number): boolean {
    const state = this.#inbound.get(conn)?.get(id);
    if (!state || state.done) return false;
    this.#inbound.get(conn)!.delete(id);
    // The protocol's answer to a cancel (spec §10): error 0x02 for that id; the handler's signal aborts.
    conn.sendError(id, ErrorCode.Cancelled, state.tracing, "request cancelled by the caller");
    this.#finish(state, "cancelled by the caller", CancelledError);
    return true;
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
    // Interned: the same few endpoints on every call, decoded without a new string.
    const endpoint = decodeShortString(message.args[0]);
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

    let calls = this.#inbound.get(conn);
    if (!calls) this.#inbound.set(conn, (calls = new IdTable()));
    const started = performance.now();
    const deadline = started + frame.ttl;
    const observed = serverCallChannel.hasSubscribers ? serverCallMessage(frame, endpoint, scheme, callerName, conn.remoteHostPort, message.args[1]) : undefined;
    const state = new InboundState(this, conn, calls, frame, endpoint, scheme, started, deadline, observed);
    state.timer = setCoarseTimeout(onInboundTimer, frame.ttl, state);
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
    const context: RequestContext = { tracing, deadline, service: frame.service, endpoint, call: observed };
    let result: OutboundReply | Promise<OutboundReply> | undefined;
    let thrown: unknown;
    if (observed === undefined) {
      try {
        // The handler's own arguments go through run(): no closure per call.
        result = requestContextStorage.run(context, handler, call);
      } catch (err) {
        thrown = err ?? new Error("handler threw");
      }
    } else {
      // The handler runs inside start.runStores, as TracingChannel's helpers run theirs; `end`
      // marks the end of its synchronous part, before its answer is written.
      serverCallChannel.start.runStores(observed, () =>
        requestContextStorage.run(context, () => {
          try {
            result = handler(call);
          } catch (err) {
            thrown = err ?? new Error("handler threw");
          }
        }),
      );
      serverCallChannel.end.publish(observed);
    }
    if (thrown !== undefined) this.#settle(state, undefined, thrown);
    else if (result instanceof Promise) result.then((r) => this.#settle(state, r, undefined), (err) => this.#settle(state, undefined, err ?? new Error("handler rejected")));
    else this.#settle(state, result, undefined);
  }

  /** The TTL passed before the handler answered: answer Timeout (spec §12) and abort its signal. */
  expire(state: InboundState): void {
    if (state.done) return;
    // Never early (a timer can fire ~1 ms before its time): wait out the rest.
    const now = performance.now();
    if (now < state.deadline) {
      state.timer = setTimeout(onInboundTimer, Math.ceil(state.deadline - now), state);
      return;
    }
    const id = state.frame.id;
    state.calls.delete(id);
    state.conn.sendError(id, ErrorCode.Timeout, state.tracing, `request timed out after ${Math.floor(now - state.started)}ms (limit was ${state.frame.ttl}ms)`);
    this.#finish(state, "timed out", TimeoutError);
  }

  /** The handler answered (`reply`) or failed (`error`): write the call res or the error frame (spec §10). */
  #settle(state: InboundState, reply: OutboundReply | undefined, error: unknown): void {
    if (state.done) return; // timed out or cancelled: the answer was given already
    const { conn, frame, endpoint, message: observed } = state;
    const id = frame.id;
    const tracing = frame.tracing;
    state.calls.delete(id);
    this.#finish(state);
    if (observed !== undefined) serverCallSettled(observed, reply, error);
    let failure: unknown;
    // Sizes before anything is written: an encodable arg knows its own (issue 18).
    if (error === undefined && !(isOutgoingArg(reply?.arg2) && isOutgoingArg(reply?.arg3))) {
      error = failure = new Error("the handler's answer needs arg2 and arg3 as bytes (a Buffer or Uint8Array) or encodable args");
    } else if (error === undefined && (argSize(reply!.arg2) > this.#maxArgSize || argSize(reply!.arg3) > this.#maxArgSize)) {
      error = failure = new Error(`the handler's answer has an arg of ${Math.max(argSize(reply!.arg2), argSize(reply!.arg3))} bytes, over maxArgSize (${this.#maxArgSize})`);
    }
    if (error === undefined) {
      try {
        conn.sendResponse({
          id,
          code: reply!.ok ? 0 : 1,
          tracing,
          headers: responseHeaders(state.scheme),
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
  }
}
