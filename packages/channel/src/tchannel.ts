import { type Server, createServer } from "node:net";
import { basename } from "node:path";
import {
  type AssembledMessage,
  type CallReqFrame,
  ErrorCode,
  type HeaderMap,
  FrameEncodeError,
  childTracing,
  encodeCallRes,
  rootTracing,
} from "@tchannel/frame";
import type { CallOptions, CallResult, InboundCall, InboundHandler, OutboundReply, RawCallOptions, TransportInfo } from "./call-types.js";
import { setCoarseTimeout } from "./coarse-timeout.js";
import { callInterceptor } from "./call-interceptor.js";
import { Connection, type ConnectionOwner } from "./connection.js";
import {
  AlreadyListeningError,
  BadRequestError,
  CancelledError,
  ChannelClosedError,
  NetworkError,
  NoAvailablePeerError,
  TChannelError,
  TimeoutError,
} from "./errors.js";
import { EPHEMERAL_HOST_PORT, localIPv4, parseHostPort } from "./host-port.js";
import { type ResolvedOptions, type TChannelOptions, TChannelOptionsSchema } from "./options.js";
import { Peer } from "./peer.js";
import { choosePeer } from "./peer-selector.js";
import { OutboundCall } from "./outbound-call.js";
import { rawScheme } from "./raw-scheme.js";
import { requestContextStorage } from "./request-context.js";
import { schemeCallOptions, schemeResponse } from "./scheme-call.js";
import { DEFAULT_RETRY_LIMIT, DEFAULT_RETRY_ON, shouldRetry } from "./retry.js";
import { type ArgScheme, type Handler, type Request, Response, type SchemeCallOptions, type SchemeClient } from "./scheme.js";

interface Registration {
  scheme: string;
  handler: InboundHandler;
}

interface InboundState {
  /** Created only when a handler looks at its signal: most never do. */
  controller: AbortController | undefined;
  /** Why the call ended early (timeout, cancel, connection closed), once it has. */
  abortReason: string | undefined;
  timer: NodeJS.Timeout;
  done: boolean;
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

/** What a scheme handler receives (tchannel-python's `Request`); a class for the same reason. */
class SchemeRequest<Body, Headers> implements Request<Body, Headers> {
  readonly #call: InboundCall;
  endpoint: string;
  service: string;
  transport: TransportInfo;
  deadline: number;
  constructor(
    public body: Body,
    public headers: Headers,
    call: InboundCall,
  ) {
    this.#call = call;
    this.endpoint = call.endpoint;
    this.service = call.service;
    this.transport = call.transport;
    this.deadline = call.deadline;
  }

  get signal(): AbortSignal {
    return this.#call.signal;
  }
}

const EMPTY = Buffer.alloc(0);

/** arg1 bytes of recently called endpoints: the same few strings on every call. */
const endpointCache = new Map<string, Buffer>();

function endpointBytes(endpoint: string): Buffer {
  let bytes = endpointCache.get(endpoint);
  if (bytes === undefined) {
    bytes = Buffer.from(endpoint);
    if (endpointCache.size >= 1024) endpointCache.clear();
    endpointCache.set(endpoint, bytes);
  }
  return bytes;
}

/**
 * A TChannel: serves registered handlers and calls other services (tchannel-python's `TChannel`).
 * `raw` is attached; other schemes attach through `scheme()` (see @tchannel/json, @tchannel/thrift).
 */
export class TChannel {
  readonly name: string;
  readonly raw: SchemeClient<Buffer, Buffer>;
  readonly #options: ResolvedOptions;
  readonly #processName: string;
  readonly #peers = new Map<string, Peer>();
  readonly #knownPeers: Peer[] = [];
  /** Relays (Hyperbahn routers) for calls with no `hostPort` and no known peers. */
  #routers: Peer[] = [];
  readonly #handlers = new Map<string, Map<string, Registration>>();
  readonly #inbound = new Map<Connection, Map<number, InboundState>>();
  readonly #connections = new Set<Connection>();
  readonly #owner: ConnectionOwner;
  #fallback: InboundHandler | undefined;
  #server: Server | undefined;
  #listening: Promise<string> | undefined;
  #hostPort: string | undefined;
  #closing = false;
  #inflight = 0;
  #drained: (() => void) | undefined;

  constructor(options: TChannelOptions) {
    this.#options = TChannelOptionsSchema.parse(options);
    this.name = this.#options.name;
    this.#processName = this.#options.processName ?? `${basename(process.argv[1] ?? "node")}[${process.pid}]`;
    const channel = this;
    const opts = this.#options;
    this.#owner = {
      get hostPort() {
        return channel.#hostPort ?? EPHEMERAL_HOST_PORT;
      },
      processName: this.#processName,
      initTimeout: opts.initTimeout,
      idleFrameTimeout: opts.idleFrameTimeout,
      maxArgSize: opts.maxArgSize,
      onIdentified: (conn) => this.#onIdentified(conn),
      onCallRequest: (conn, message) => this.#onCallRequest(conn, message),
      onCancel: (conn, id) => this.#onCancel(conn, id),
      onClosed: (conn) => this.#onClosed(conn),
    };
    for (const hostPort of opts.knownPeers) this.#knownPeers.push(this.#peer(hostPort));
    this.raw = this.scheme(rawScheme);
  }

  /** The `host:port` this channel listens on, once listening. */
  get hostPort(): string | undefined {
    return this.#hostPort;
  }

  get isListening(): boolean {
    return this.#hostPort !== undefined;
  }

  /** Calls waiting for an answer, across every connection. */
  get pendingCalls(): number {
    let n = 0;
    for (const c of this.#connections) n += c.pendingCount;
    return n;
  }

  /**
   * Starts serving. `port` defaults to the `hostPort` option's, else an ephemeral one. Listening
   * again on the same address is a no-op; another address throws AlreadyListeningError.
   * Resolves with the `host:port` announced to peers.
   */
  async listen(port?: number): Promise<string> {
    if (this.#closing) throw new ChannelClosedError("listen() on a closed channel");
    const configured = this.#options.hostPort ? parseHostPort(this.#options.hostPort) : undefined;
    const host = configured?.host ?? "127.0.0.1";
    const wanted = port ?? configured?.port ?? 0;
    if (this.#listening) {
      const current = await this.#listening;
      if (wanted !== 0 && parseHostPort(current).port !== wanted) {
        throw new AlreadyListeningError(`already listening on ${current}, cannot listen on port ${wanted}`);
      }
      return current;
    }
    this.#listening = new Promise<string>((resolve, reject) => {
      const server = createServer((socket) => this.#accept(new Connection(socket, "in", this.#owner)));
      server.once("error", reject);
      server.listen(wanted, host, () => {
        server.off("error", reject);
        const address = server.address();
        const boundPort = typeof address === "object" && address ? address.port : wanted;
        const announced = host === "0.0.0.0" || host === "::" ? localIPv4() : host;
        this.#server = server;
        this.#hostPort = `${announced}:${boundPort}`;
        // Connections opened before we listened told their peer we cannot be called back (0.0.0.0:0).
        // A router registers an advertised service at its connection's init host_port, so new calls
        // go over new connections that announce the real address (these stay open for their calls).
        for (const conn of this.#connections) if (conn.direction === "out") conn.draining = true;
        resolve(this.#hostPort);
      });
    });
    this.#listening.catch(() => {
      this.#listening = undefined;
    });
    return this.#listening;
  }

  /**
   * Registers a low-level handler for `endpoint` (arg1) of `service` (default: this channel's
   * name) and scheme. Scheme clients (`raw.register`, `json.register`) build on this.
   */
  register(endpoint: string, scheme: string, handler: InboundHandler, options: { service?: string } = {}): void {
    const service = options.service ?? this.name;
    let endpoints = this.#handlers.get(service);
    if (!endpoints) this.#handlers.set(service, (endpoints = new Map()));
    endpoints.set(endpoint, { scheme, handler });
  }

  /** Handles calls to endpoints nobody registered (instead of answering BadRequest). */
  setFallbackHandler(handler: InboundHandler | undefined): void {
    this.#fallback = handler;
  }

  /** Binds an arg scheme to this channel: a callable client with `register`. */
  scheme<Body, Headers>(scheme: ArgScheme<Body, Headers>): SchemeClient<Body, Headers> {
    const client = ((options: SchemeCallOptions<Body, Headers>) => this.#callWithScheme(scheme, options)) as SchemeClient<Body, Headers>;
    Object.defineProperty(client, "scheme", { value: scheme });
    client.register = (endpoint, handler, options) => this.register(endpoint, scheme.name, this.#schemeHandler(scheme, handler), options);
    return client;
  }

  /** Adds a peer to choose from for calls without a `hostPort`. */
  addPeer(hostPort: string): void {
    const peer = this.#peer(hostPort);
    if (!this.#knownPeers.includes(peer)) this.#knownPeers.push(peer);
  }

  /**
   * Sets the routers (e.g. Hyperbahn's) that carry calls with no `hostPort` when this channel has
   * no known peers: the call goes to a router with its service name, and the router relays it.
   * An empty list removes them.
   */
  setRouters(hostPorts: readonly string[]): void {
    this.#routers = hostPorts.map((hostPort) => this.#peer(hostPort));
  }

  /** The routers set with `setRouters`. */
  get routers(): readonly string[] {
    return this.#routers.map((p) => p.hostPort);
  }

  /** The peers calls without a `hostPort` choose from (`knownPeers` and `addPeer`). */
  get knownPeers(): readonly string[] {
    return this.#knownPeers.map((p) => p.hostPort);
  }

  /** Pings a peer over a (new or existing) connection; resolves with the round trip in ms. */
  async ping(hostPort: string, timeout = 1000): Promise<number> {
    const conn = await this.#peer(hostPort).connection();
    return conn.ping(timeout);
  }

  /**
   * A low-level call: `arg1` (the endpoint), `arg2`, `arg3` as bytes, with retries, TTL and
   * cancellation. Protocol errors reject with TChannelError subclasses; an application error
   * resolves with `ok: false`. An interceptor set with `setCallInterceptor` sees the call first.
   */
  call(options: RawCallOptions): Promise<CallResult> {
    const interceptor = callInterceptor();
    if (interceptor !== undefined) {
      try {
        return interceptor(options, this, (o) => this.#call(o));
      } catch (err) {
        return Promise.reject(err); // a call always fails asynchronously, whatever the interceptor does
      }
    }
    return this.#call(options);
  }

  async #call(options: RawCallOptions): Promise<CallResult> {
    if (this.#closing) throw new ChannelClosedError("call on a closed channel", { service: options.service, endpoint: String(options.arg1) });
    const context = requestContextStorage.getStore();
    const started = performance.now();
    let deadline = started + (options.timeout ?? this.#options.timeout);
    // Inside a handler, the inbound call's deadline bounds ours (spec §12).
    if (context !== undefined && context.deadline < deadline) deadline = context.deadline;
    const arg1 = typeof options.arg1 === "string" ? endpointBytes(options.arg1) : options.arg1;
    const endpoint = typeof options.arg1 === "string" ? options.arg1 : undefined;
    const retryOn = options.retryOn ?? DEFAULT_RETRY_ON;
    const retryLimit = options.retryLimit ?? DEFAULT_RETRY_LIMIT;
    const headers: HeaderMap = { as: options.scheme, cn: options.callerName ?? this.name, re: retryOn };
    if (options.shardKey !== undefined) headers.sk = options.shardKey;
    if (options.routingDelegate !== undefined) headers.rd = options.routingDelegate;
    if (options.transportHeaders) for (const k in options.transportHeaders) headers[k] = options.transportHeaders[k]!;
    const tracing = context ? childTracing(context.tracing) : rootTracing();
    const candidates =
      options.hostPort !== undefined ? [this.#peer(options.hostPort)] : this.#knownPeers.length > 0 ? this.#knownPeers : this.#routers;
    // Made on the first retry: most calls have one attempt.
    let tried: Set<Peer> | undefined;
    for (let attempt = 0; ; attempt++) {
      let peer = choosePeer(candidates, tried);
      // With every candidate tried, a retry goes back to the least busy one.
      if (peer === undefined && attempt > 0) peer = choosePeer(candidates, undefined);
      if (peer === undefined) {
        throw new NoAvailablePeerError("no peer available: pass hostPort, knownPeers or routers", { service: options.service, endpoint });
      }
      const remaining = Math.floor(deadline - performance.now());
      if (remaining < 1) {
        throw new TimeoutError(`request timed out after ${Math.round(performance.now() - started)}ms`, { service: options.service, endpoint, hostPort: peer.hostPort, ttl: remaining });
      }
      try {
        return await this.#attempt(peer, options, arg1, headers, tracing, remaining, deadline);
      } catch (err) {
        if (!(err instanceof TChannelError)) throw err;
        err.describe({ service: options.service, endpoint, hostPort: peer.hostPort, ttl: remaining });
        (tried ??= new Set()).add(peer);
        if (attempt >= retryLimit || options.signal?.aborted || !shouldRetry(err, retryOn)) throw err;
      }
    }
  }

  /** One attempt on one peer: the TTL on the wire is the time left for the whole call (spec §12). */
  #attempt(peer: Peer, options: RawCallOptions, arg1: Uint8Array, headers: HeaderMap, tracing: Uint8Array, ttl: number, deadline: number): Promise<CallResult> {
    // Not async: with a ready connection (nearly every call) the promise below is the call's, with
    // no async wrapper and its extra ticks around it.
    const conn = peer.readyConnection();
    if (conn === undefined) return this.#connect(peer, deadline).then((c) => this.#send(c, peer, options, arg1, headers, tracing, ttl, deadline));
    return this.#send(conn, peer, options, arg1, headers, tracing, ttl, deadline);
  }

  #send(conn: Connection, peer: Peer, options: RawCallOptions, arg1: Uint8Array, headers: HeaderMap, tracing: Uint8Array, ttl: number, deadline: number): Promise<CallResult> {
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(new CancelledError("request cancelled by the caller", {}, { cause: signal.reason }));
    const ttlNow = Math.max(1, Math.floor(deadline - performance.now()));
    return new Promise<CallResult>((resolve, reject) => {
      const pending = new OutboundCall(conn, peer.hostPort, ttl, ttlNow, signal, resolve, reject);
      try {
        pending.id = conn.sendCall(
          {
            id: 0,
            ttl: ttlNow,
            tracing,
            service: options.service,
            headers,
            checksumType: options.checksumType ?? this.#options.checksumType,
            args: [arg1, options.arg2 ?? EMPTY, options.arg3 ?? EMPTY],
          },
          pending,
        );
      } catch (err) {
        // The call cannot be written as given (e.g. arg1 over 16 KiB): the caller's mistake.
        pending.fail(err instanceof FrameEncodeError ? new BadRequestError(err.message, {}, { cause: err }) : err);
      }
    });
  }

  async #connect(peer: Peer, deadline: number): Promise<Connection> {
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

  async #callWithScheme<Body, Headers>(scheme: ArgScheme<Body, Headers>, options: SchemeCallOptions<Body, Headers>): Promise<Response<Body, Headers>> {
    const result = await this.call(schemeCallOptions(scheme, options));
    return schemeResponse(scheme, options, result);
  }

  #schemeHandler<Body, Headers>(scheme: ArgScheme<Body, Headers>, handler: Handler<Body, Headers>): InboundHandler {
    const reply = (result: Body | Response<Body, Headers>): OutboundReply => {
      const response = result instanceof Response ? result : new Response<Body, Headers>(result as Body);
      return { ok: response.status === 0, arg2: scheme.encodeHeaders(response.headers), arg3: scheme.encodeBody(response.body) };
    };
    // Not async: a handler that answers synchronously is answered in the same tick, without a
    // promise (the inbound caller, #onCallRequest, takes either). A throw is a failed call either way.
    return (call: InboundCall): OutboundReply | Promise<OutboundReply> => {
      let body: Body;
      let headers: Headers;
      try {
        headers = scheme.decodeHeaders(call.arg2);
        body = scheme.decodeBody(call.arg3);
      } catch (err) {
        throw new BadRequestError(`cannot decode the ${scheme.name} request: ${(err as Error).message}`);
      }
      let result: Body | Response<Body, Headers> | PromiseLike<Body | Response<Body, Headers>>;
      try {
        result = handler(new SchemeRequest(body, headers, call));
      } catch (err) {
        return Promise.reject(err);
      }
      if (typeof (result as PromiseLike<unknown> | undefined)?.then === "function") return Promise.resolve(result as PromiseLike<Body | Response<Body, Headers>>).then(reply);
      return reply(result as Body | Response<Body, Headers>);
    };
  }

  // ---- inbound ----------------------------------------------------------------------------

  #accept(conn: Connection): void {
    if (this.#closing) {
      conn.close();
      return;
    }
    this.#connections.add(conn);
  }

  #onIdentified(conn: Connection): void {
    this.#connections.add(conn);
    // A peer that listens can be called back over this connection, whoever opened it.
    if (conn.remoteListening) this.#peer(conn.remoteHostPort).add(conn);
  }

  #onClosed(conn: Connection): void {
    this.#connections.delete(conn);
    this.#peers.get(conn.remoteHostPort)?.remove(conn);
    const inbound = this.#inbound.get(conn);
    if (inbound) {
      for (const state of inbound.values()) this.#finishInbound(state, "connection closed");
      this.#inbound.delete(conn);
    }
  }

  #onCancel(conn: Connection, id: number): void {
    const state = this.#inbound.get(conn)?.get(id);
    if (!state || state.done) return;
    this.#inbound.get(conn)!.delete(id);
    this.#finishInbound(state, "cancelled by the caller");
  }

  /** Ends an inbound call; `reason` (timeout, cancel, close) aborts the handler's signal. */
  #finishInbound(state: InboundState, reason?: string): void {
    if (state.done) return;
    state.done = true;
    clearTimeout(state.timer);
    if (reason !== undefined) {
      state.abortReason = reason;
      state.controller?.abort(new CancelledError(reason));
    }
    this.#inflight--;
    if (this.#inflight === 0) this.#drained?.();
  }

  #onCallRequest(conn: Connection, message: AssembledMessage<CallReqFrame>): void {
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
      conn.sendError(id, ErrorCode.Declined, tracing, `closed channel: ${this.name} is shutting down`);
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
    const state: InboundState = { controller: undefined, abortReason: undefined, done: false, timer: undefined as unknown as NodeJS.Timeout };
    state.timer = setCoarseTimeout(() => {
      if (state.done) return;
      calls.delete(id);
      conn.sendError(id, ErrorCode.Timeout, tracing, `request timed out after ${Math.round(performance.now() - started)}ms (limit was ${frame.ttl}ms)`);
      this.#finishInbound(state, "timed out");
    }, frame.ttl, undefined);
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
    const context = { tracing, deadline, service: frame.service, endpoint };
    const settle = (reply: OutboundReply | undefined, error: unknown) => {
      if (state.done) return; // timed out or cancelled: the answer was given already
      calls.delete(id);
      this.#finishInbound(state);
      if (error === undefined) {
        try {
          conn.write(
            encodeCallRes({
              id,
              code: reply!.ok ? 0 : 1,
              tracing,
              headers: { as: scheme },
              // A response uses the request's checksum type (spec §6).
              checksumType: frame.checksumType,
              args: [EMPTY, reply!.arg2, reply!.arg3],
            }),
          );
          return;
        } catch (err) {
          error = err;
        }
      }
      if (error instanceof TChannelError && error.wireCode !== undefined) {
        conn.sendError(id, error.wireCode, tracing, error.message);
      } else {
        const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        conn.sendError(id, ErrorCode.Unexpected, tracing, `unexpected error in handler for ${JSON.stringify(endpoint)}: ${text}`);
      }
    };
    requestContextStorage.run(context, () => {
      let result: OutboundReply | Promise<OutboundReply>;
      try {
        result = handler(call);
      } catch (err) {
        settle(undefined, err);
        return;
      }
      if (result instanceof Promise) result.then((r) => settle(r, undefined), (err) => settle(undefined, err ?? new Error("handler rejected")));
      else settle(result, undefined);
    });
  }

  #peer(hostPort: string): Peer {
    let peer = this.#peers.get(hostPort);
    if (!peer) this.#peers.set(hostPort, (peer = new Peer(hostPort, this.#owner)));
    return peer;
  }

  /**
   * Graceful close: stop accepting connections, decline new calls, let inbound calls in progress
   * finish (up to `drainTimeout`), then close every connection. Calls still waiting for answers
   * fail with NetworkError. Safe to call twice.
   */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    const server = this.#server;
    const serverClosed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    if (this.#inflight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.#options.drainTimeout);
        this.#drained = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    for (const conn of [...this.#connections]) conn.close(new NetworkError("channel closed"));
    for (const peer of this.#peers.values()) peer.close();
    await serverClosed;
    this.#hostPort = undefined;
  }
}

