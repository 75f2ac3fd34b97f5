import { type ArgSink, type CallReqFrame, EMPTY_TRACING, ErrorCode, FragmentWriter, IdTable, decodeShortString } from "@tchannel/frame";
import { ArgStream, DISCARD_SINK, StreamedMessageSink } from "./arg-stream.js";
import { type PumpControl, pumpBody } from "./body-pump.js";
import type { TransportInfo } from "./call-types.js";
import type { Connection } from "./connection.js";
import { BadRequestError, CancelledError, NetworkError, TChannelError, TimeoutError } from "./errors.js";
import { ServerCallMessage, serverCallChannel } from "./diagnostics.js";
import { requestContextStorage } from "./request-context.js";
import { serverCallAnswered, serverCallEnded, serverCallSettled } from "./server-call-events.js";
import type { StreamedHandler, StreamedInboundCall, StreamedReply } from "./streamed-types.js";

interface Registration {
  scheme: string;
  handler: StreamedHandler;
}

const EMPTY = Buffer.alloc(0);

/**
 * One streamed inbound call: its TTL timer (the whole call, until the response's last frame),
 * the handler's AbortSignal, the request's streams and the response's pump.
 */
class StreamedInbound implements StreamedInboundCall, PumpControl {
  readonly controller = new AbortController();
  readonly timer: NodeJS.Timeout;
  done = false;
  /** The response's pump, while it waits: run when the call ends (PumpControl). */
  onStop: (() => void) | undefined = undefined;
  /** Its `tracing:tchannel:server:call` message, when that channel had subscribers as it arrived. */
  message: ServerCallMessage | undefined = undefined;
  /** The end of the call was published already (answered, or answered with an error). */
  published = false;

  constructor(
    readonly conn: Connection,
    readonly id: number,
    readonly sink: StreamedMessageSink,
    readonly service: string,
    readonly endpoint: string,
    readonly transport: TransportInfo,
    readonly deadline: number,
    readonly tracing: Uint8Array,
    readonly remoteHostPort: string,
    onTimeout: (call: StreamedInbound) => void,
  ) {
    this.timer = setTimeout(onTimeout, Math.max(1, deadline - performance.now()), this);
  }

  get arg2(): ArgStream {
    return this.sink.arg2;
  }

  get arg3(): ArgStream {
    return this.sink.arg3;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The response's pump stops once the call is done (PumpControl). */
  get stopped(): boolean {
    return this.done;
  }
}

/**
 * The inbound flow of streamed handlers (issue 18): a call request whose endpoint has a streamed
 * handler starts it at its first frame; the request's args stream to it as frames arrive and its
 * reply's args stream out as they are produced. The code goes in the first response frame; a
 * failure after that is an error frame for the same id (what tchannel-node's sendError does).
 */
export class StreamedDispatcher {
  readonly #channelName: string;
  /** Streamed handlers by service, then endpoint: a lookup per call request needs no key string. */
  readonly #handlers = new Map<string, Map<string, Registration>>();
  readonly #calls = new Map<Connection, IdTable<StreamedInbound>>();
  #closing = false;
  #inflight = 0;
  #drained: (() => void) | undefined;

  constructor(channelName: string) {
    this.#channelName = channelName;
  }

  get inflight(): number {
    return this.#inflight;
  }

  register(service: string, endpoint: string, scheme: string, handler: StreamedHandler): void {
    let endpoints = this.#handlers.get(service);
    if (endpoints === undefined) this.#handlers.set(service, (endpoints = new Map()));
    endpoints.set(endpoint, { scheme, handler });
  }

  /** Whether any streamed handler is registered (connections ask about first frames only then). */
  get active(): boolean {
    return this.#handlers.size > 0;
  }

  drain(drainTimeout: number): Promise<void> {
    this.#closing = true;
    if (this.#inflight === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, drainTimeout);
      this.#drained = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** The first frame of a call request: a sink if a streamed handler takes it, else undefined. */
  onFirstFrame(conn: Connection, frame: CallReqFrame): ArgSink | undefined {
    if (this.#handlers.size === 0) return undefined;
    // Asked for every call request's first frame once any streamed handler exists: no copy of arg1.
    const endpoints = this.#handlers.get(frame.service);
    if (endpoints === undefined) return undefined;
    const endpoint = decodeShortString(frame.args[0] ?? EMPTY);
    const registration = endpoints.get(endpoint);
    if (registration === undefined) return undefined;
    const { id, headers } = frame;
    const tracing = Buffer.from(frame.tracing);
    const scheme = headers.as;
    const callerName = headers.cn;
    if (scheme === undefined || callerName === undefined) {
      conn.sendError(id, ErrorCode.BadRequest, tracing, `Expected incoming call request to have "${scheme === undefined ? "as" : "cn"}" header set`);
      return DISCARD_SINK;
    }
    if (this.#closing) {
      conn.sendError(id, ErrorCode.Declined, tracing, `closed channel: ${this.#channelName} is shutting down`);
      return DISCARD_SINK;
    }
    if (registration.scheme !== scheme) {
      conn.sendError(id, ErrorCode.BadRequest, tracing, `Server expected a '${registration.scheme}' but request is '${scheme}' (endpoint ${JSON.stringify(endpoint)})`);
      return DISCARD_SINK;
    }
    const transport: TransportInfo = {
      callerName,
      scheme,
      ttl: frame.ttl,
      flags: frame.flags,
      shardKey: headers.sk,
      routingDelegate: headers.rd,
      retryFlags: headers.re,
      headers,
    };
    let calls = this.#calls.get(conn);
    if (calls === undefined) this.#calls.set(conn, (calls = new IdTable()));
    const deadline = performance.now() + frame.ttl;
    const sink = new StreamedMessageSink(new ArgStream(conn), new ArgStream(conn), () => {});
    const call = new StreamedInbound(conn, id, sink, frame.service, endpoint, transport, deadline, tracing, conn.remoteHostPort, (c) => this.#timeOut(c));
    calls.set(id, call);
    this.#inflight++;
    // arg2 is a stream here: the message carries none (a streamed call's headers are the handler's to read).
    const observed = serverCallChannel.hasSubscribers ? new ServerCallMessage(frame.service, endpoint, scheme, callerName, conn.remoteHostPort, tracing, frame.ttl, headers, EMPTY) : undefined;
    call.message = observed;
    const context = { tracing, deadline, service: frame.service, endpoint, call: observed };
    // The handler starts after this frame's chunks are in its streams (next microtask).
    queueMicrotask(() => {
      if (call.done) return;
      const run = () =>
        requestContextStorage.run(context, () => {
          let reply: StreamedReply | Promise<StreamedReply>;
          try {
            reply = registration.handler(call);
          } catch (err) {
            this.#answerError(call, err);
            return;
          }
          Promise.resolve(reply).then(
            (r) => this.#respond(call, r, frame.checksumType, scheme),
            (err: unknown) => this.#answerError(call, err ?? new Error("handler rejected")),
          );
        });
      if (observed === undefined) run();
      else {
        serverCallChannel.start.runStores(observed, run);
        serverCallChannel.end.publish(observed);
      }
    });
    return sink;
  }

  /** A cancel frame for `id` (spec §10): true if it was a streamed call of ours, now answered. */
  onCancel(conn: Connection, id: number): boolean {
    const call = this.#calls.get(conn)?.get(id);
    if (call === undefined || call.done) return false;
    // The protocol's answer: error 0x02 for that id, which also ends a response cut short
    // mid-stream (spec §9); the rest of the request, if any is still coming, is dropped.
    conn.sendError(id, ErrorCode.Cancelled, call.tracing, "request cancelled by the caller");
    conn.discardRequest(id);
    this.#end(call, new CancelledError("cancelled by the caller"));
    return true;
  }

  onRequestFailed(conn: Connection, id: number, error: Error): void {
    const call = this.#calls.get(conn)?.get(id);
    if (call === undefined || call.done) return;
    // Answered with BadRequest by the connection already.
    this.#end(call, new BadRequestError(`request broke mid-stream: ${error.message}`, {}, { cause: error }));
  }

  onConnectionClosed(conn: Connection): void {
    const calls = this.#calls.get(conn);
    if (calls === undefined) return;
    this.#calls.delete(conn);
    // As for an ordinary inbound call: the handler's reads throw NetworkError, its signal aborts
    // and its response's producer is stopped.
    for (const call of calls.values()) this.#end(call, new NetworkError("connection closed mid-call", { hostPort: conn.remoteHostPort || undefined }));
  }

  async #respond(call: StreamedInbound, reply: StreamedReply, checksumType: CallReqFrame["checksumType"], scheme: string): Promise<void> {
    if (call.done) return;
    let writer: FragmentWriter;
    try {
      if (reply === null || typeof reply !== "object" || typeof reply.ok !== "boolean") throw new TypeError("a streamed handler must answer { ok, arg2?, arg3? }");
      writer = FragmentWriter.response({ id: call.id, code: reply.ok ? 0 : 1, tracing: call.tracing, headers: { as: scheme }, checksumType }, EMPTY);
    } catch (err) {
      this.#answerError(call, err);
      return;
    }
    if (call.message !== undefined) serverCallSettled(call.message, { ok: reply.ok, arg2: EMPTY, arg3: EMPTY }, undefined);
    try {
      const sent = await pumpBody(writer, call.conn, call, reply.arg2, reply.arg3);
      if (!sent || call.done) return;
      // The answer is complete: whatever of the request is still unread or unsent is dropped.
      call.sink.discard();
      call.conn.discardRequest(call.id);
      if (call.message !== undefined) {
        call.published = true;
        serverCallAnswered(call.message, undefined);
      }
      this.#end(call, undefined);
    } catch (err) {
      if (call.done) return;
      this.#answerError(call, err);
    }
  }

  #answerError(call: StreamedInbound, error: unknown): void {
    if (call.done) return;
    const m = call.message;
    // Not settled yet: the handler failed. Settled: its answer failed mid-stream.
    const settled = m !== undefined && (m.ok !== undefined || m.error !== undefined);
    if (m !== undefined && !settled) serverCallSettled(m, undefined, error);
    if (error instanceof TChannelError && error.wireCode !== undefined) {
      call.conn.sendError(call.id, error.wireCode, call.tracing, error.message);
    } else {
      const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      call.conn.sendError(call.id, ErrorCode.Unexpected, call.tracing, `unexpected error in handler for ${JSON.stringify(call.endpoint)}: ${text}`);
    }
    call.conn.discardRequest(call.id);
    if (m !== undefined) {
      call.published = true;
      serverCallAnswered(m, settled ? error : undefined);
    }
    this.#end(call, new CancelledError("the call was answered with an error"));
  }

  #timeOut(call: StreamedInbound): void {
    if (call.done) return;
    call.conn.sendError(call.id, ErrorCode.Timeout, call.tracing.length ? call.tracing : EMPTY_TRACING, `request timed out after ${call.transport.ttl}ms`);
    call.conn.discardRequest(call.id);
    this.#end(call, new TimeoutError(`request timed out after ${call.transport.ttl}ms`));
  }

  /** Ends a call: `error` (timeout, cancel, close) aborts the handler and fails its streams. */
  #end(call: StreamedInbound, error: Error | undefined): void {
    if (call.done) return;
    call.done = true;
    clearTimeout(call.timer);
    this.#calls.get(call.conn)?.delete(call.id);
    if (call.message !== undefined && !call.published && error instanceof TChannelError) serverCallEnded(call.message, error);
    if (error !== undefined) {
      call.sink.fail(error);
      call.controller.abort(error);
    }
    call.onStop?.();
    this.#inflight--;
    if (this.#inflight === 0) this.#drained?.();
  }
}
