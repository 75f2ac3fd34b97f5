import { type ArgSink, type CallResFrame, FragmentWriter, FrameEncodeError, type HeaderMap, childTracing, rootTracing } from "@tchannel/frame";
import { ArgStream, StreamedMessageSink } from "./arg-stream.js";
import { pumpBody } from "./body-pump.js";
import type { Connection, PendingCall } from "./connection.js";
import { CancelledError, InvalidArgumentError, NoAvailablePeerError, TChannelError, TimeoutError } from "./errors.js";
import type { ResolvedOptions } from "./options.js";
import type { Peer } from "./peer.js";
import type { PeerDirectory } from "./peer-directory.js";
import { choosePeer } from "./peer-selector.js";
import { ClientAttemptMessage, ClientCallMessage, clientAttemptChannel, clientCallChannel } from "./diagnostics.js";
import { requestContextStorage } from "./request-context.js";
import type { StreamedCallOptions, StreamedCallResult } from "./streamed-types.js";

const EMPTY = Buffer.alloc(0);

/**
 * The outbound flow of a streamed call (issue 18): one attempt (a streamed body cannot be sent
 * twice), the request's args pumped as their producers yield them, the response's streamed in.
 */
export class StreamedCallSender {
  readonly #channelName: string;
  readonly #options: ResolvedOptions;
  readonly #peers: PeerDirectory;

  constructor(channelName: string, options: ResolvedOptions, peers: PeerDirectory) {
    this.#channelName = channelName;
    this.#options = options;
    this.#peers = peers;
  }

  call(options: StreamedCallOptions): Promise<StreamedCallResult> {
    if (!clientCallChannel.hasSubscribers) return this.#call(options, undefined);
    // Its args are streams: the message carries no arg2, and the call's events end when the
    // response starts (the promise's value), not when its streams end.
    const context = requestContextStorage.getStore();
    const arg1 = options.arg1;
    const endpoint = typeof arg1 === "string" ? arg1 : Buffer.from(arg1.buffer, arg1.byteOffset, arg1.byteLength).toString("utf8");
    const message = new ClientCallMessage(options.service, endpoint, options.scheme, options.callerName ?? this.#channelName, options.hostPort, EMPTY, context?.call);
    return clientCallChannel.tracePromise(() => this.#call(options, message), message);
  }

  async #call(options: StreamedCallOptions, message: ClientCallMessage | undefined): Promise<StreamedCallResult> {
    const context = requestContextStorage.getStore();
    let deadline = performance.now() + (options.timeout ?? this.#options.timeout);
    if (context !== undefined && context.deadline < deadline) deadline = context.deadline;
    const endpoint = typeof options.arg1 === "string" ? options.arg1 : undefined;
    const arg1 = typeof options.arg1 === "string" ? Buffer.from(options.arg1) : options.arg1;
    // Streamed calls are never retried: `re` says so to relays.
    const headers: HeaderMap = { as: options.scheme, cn: options.callerName ?? this.#channelName, re: "n" };
    if (options.shardKey !== undefined) headers.sk = options.shardKey;
    if (options.routingDelegate !== undefined) headers.rd = options.routingDelegate;
    if (options.transportHeaders) for (const k in options.transportHeaders) headers[k] = options.transportHeaders[k]!;
    const peer = choosePeer(this.#peers.candidates(options.hostPort), undefined);
    const describe = (err: unknown) => {
      if (err instanceof TChannelError) err.describe({ service: options.service, endpoint, hostPort: peer?.hostPort });
      return err;
    };
    if (peer === undefined) throw new NoAvailablePeerError("no peer available: pass hostPort, knownPeers or routers", { service: options.service, endpoint });
    try {
      const conn = peer.readyConnection() ?? (await connect(peer, deadline));
      if (options.signal?.aborted) throw new CancelledError("request cancelled by the caller", {}, { cause: options.signal.reason });
      const ttl = Math.floor(deadline - performance.now());
      if (ttl < 1) throw new TimeoutError("request timed out before it was sent");
      const call = new StreamedOutboundCall(conn, peer.hostPort, ttl, options.signal);
      const tracing = message?.tracing ?? (context ? childTracing(context.tracing) : rootTracing());
      const checksumType = options.checksumType ?? this.#options.checksumType;
      if (message === undefined) return await call.start(options, arg1, headers, tracing, checksumType);
      message.attempts = 1;
      message.hostPort = peer.hostPort;
      let result: StreamedCallResult;
      if (clientAttemptChannel.hasSubscribers) {
        const attempt = new ClientAttemptMessage(message, 0, peer.hostPort, tracing);
        result = await clientAttemptChannel.tracePromise(() => call.start(options, arg1, headers, attempt.tracing, checksumType), attempt);
      } else {
        result = await call.start(options, arg1, headers, tracing, checksumType);
      }
      message.ok = result.ok;
      message.code = result.code;
      return result;
    } catch (err) {
      throw describe(err);
    }
  }
}

async function connect(peer: Peer, deadline: number): Promise<Connection> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError("timed out connecting")), Math.max(1, deadline - performance.now()));
  });
  try {
    return await Promise.race([peer.connection(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One streamed call on one connection: its TTL timer covers the whole call (until the response's
 * last frame), its AbortSignal sends a cancel frame; either, or the connection failing, stops
 * the request's pump and fails whatever of the response is still being read.
 */
class StreamedOutboundCall implements PendingCall {
  id = 0;
  stopped = false;
  onStop: (() => void) | undefined = undefined;
  readonly #conn: Connection;
  readonly #hostPort: string;
  readonly #ttl: number;
  readonly #signal: AbortSignal | undefined;
  readonly #timer: NodeJS.Timeout;
  readonly #onAbort: (() => void) | undefined;
  #resolve!: (result: StreamedCallResult) => void;
  #reject!: (error: unknown) => void;
  #sink: StreamedMessageSink | undefined;
  /** The request's frames (ended once its last frame is written). */
  #writer: FragmentWriter | undefined;
  #done = false;

  constructor(conn: Connection, hostPort: string, ttl: number, signal: AbortSignal | undefined) {
    this.#conn = conn;
    this.#hostPort = hostPort;
    this.#ttl = ttl;
    this.#signal = signal;
    this.#timer = setTimeout(() => this.#timeOut(), ttl);
    if (signal !== undefined) {
      this.#onAbort = () => this.#cancel();
      signal.addEventListener("abort", this.#onAbort, { once: true });
    }
  }

  start(options: StreamedCallOptions, arg1: Uint8Array, headers: HeaderMap, tracing: Uint8Array, checksumType: StreamedCallOptions["checksumType"] & number): Promise<StreamedCallResult> {
    const result = new Promise<StreamedCallResult>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.id = this.#conn.startCall(this);
    let writer: FragmentWriter;
    try {
      writer = FragmentWriter.request({ id: this.id, ttl: this.#ttl, tracing, service: options.service, headers, checksumType }, arg1);
    } catch (err) {
      this.#conn.abandon(this.id);
      this.#fail(err instanceof FrameEncodeError ? new InvalidArgumentError(err.message, {}, { cause: err }) : err);
      return result;
    }
    this.#writer = writer;
    pumpBody(writer, this.#conn, this, options.arg2, options.arg3).catch((err: unknown) => {
      // The producer failed (or gave a bad chunk): the request cannot be completed. Tell the peer.
      if (this.#done) return;
      this.#conn.cancel(this.id, "request body failed");
      this.#fail(err instanceof FrameEncodeError || err instanceof TypeError ? new InvalidArgumentError(String((err as Error).message), {}, { cause: err }) : err);
    });
    return result;
  }

  streamResponse(first: CallResFrame): ArgSink {
    const sink = new StreamedMessageSink(new ArgStream(this.#conn), new ArgStream(this.#conn), () => this.#complete());
    this.#sink = sink;
    this.#resolve({ ok: first.code === 0, code: first.code, arg2: sink.arg2, arg3: sink.arg3, headers: first.headers, hostPort: this.#hostPort });
    return sink;
  }

  onResponse(frame: CallResFrame, args: [Buffer, Buffer, Buffer]): void {
    // Not reached (streamResponse takes every response); kept for the interface.
    const sink = this.streamResponse(frame);
    sink.chunk(1, args[1], true);
    sink.chunk(2, args[2], true);
  }

  onError(error: TChannelError): void {
    // The peer answered with an error frame (or its response broke): the call is over, and our
    // request's frames end as after a response (see #complete). A closed connection has none to end.
    const answered = !this.#done;
    this.#fail(error);
    if (answered) this.#endRequest();
  }

  #complete(): void {
    // The response is whole: the call is over, whether or not our request had finished.
    this.#finish();
    // A peer may answer before our request is all sent (a handler that answered without reading
    // the rest). Its frames must not stop mid-message: the peer would hold that message's state
    // (an unfinished fragmented request) until its TTL, and a relay its route. So the request
    // ends here, with a last frame (spec §9: no "more fragments" flag) after what was sent, and
    // its producer is asked for nothing more (the pump sees `stopped`). The pump only waits
    // (for the producer or for 'drain') with nothing framed and unsent, so nothing is lost from
    // between. A cancel frame would not do: the call is answered, and cancel (spec §10) says
    // nothing about a request's remaining fragments.
    this.#endRequest();
  }

  /** Writes the request's last frame if it has not gone out yet (the call ended before it). */
  #endRequest(): void {
    const writer = this.#writer;
    if (writer !== undefined && !writer.ended && !this.#conn.isClosed) {
      writer.end();
      this.#conn.writePieces(writer.take());
    }
  }

  #timeOut(): void {
    if (this.#done) return;
    // A cancel frame (spec §10), as for the caller's cancel: the call may be mid-message (our
    // request's frames stopped, or the peer's response still streaming), and a peer that honours
    // cancels (ours, tchannel-go with PropagateCancel) drops its half of it now, stops its
    // handler and answers Cancelled, which is dropped here as any late answer. Ending the request
    // with a last frame instead would hand the peer a truncated body as if it were whole.
    // tchannel-node ignores cancels; its own timer, set from the same TTL, ends the call there.
    this.#conn.cancel(this.id, `request timed out after ${this.#ttl}ms`);
    this.#fail(new TimeoutError(`request timed out after ${this.#ttl}ms`));
  }

  #cancel(): void {
    if (this.#done) return;
    this.#conn.cancel(this.id, "request cancelled by the caller");
    this.#fail(new CancelledError("request cancelled by the caller", {}, { cause: this.#signal?.reason }));
  }

  #fail(error: unknown): void {
    if (this.#done) return;
    this.#finish();
    if (this.#sink !== undefined) this.#sink.fail(error);
    else this.#reject(error);
  }

  #finish(): void {
    this.#done = true;
    this.stopped = true;
    clearTimeout(this.#timer);
    if (this.#onAbort !== undefined) this.#signal!.removeEventListener("abort", this.#onAbort);
    // The request's pump stops now, even while it waits for its producer: the producer is told
    // to stop (a Readable is destroyed) and holds nothing of ours.
    this.onStop?.();
  }
}
