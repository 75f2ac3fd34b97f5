import { type Server, createServer } from "node:net";
import { type EncodableArg, FrameEncodeError } from "@tchannel/frame";
import { basename } from "node:path";
import type { CallResult, InboundHandler, RawCallOptions, RegisterOptions } from "./call-types.js";
import { callInterceptor } from "./call-interceptor.js";
import { CallSender } from "./call-sender.js";
import { Connection, type ConnectionOwner } from "./connection.js";
import { callOptionsProblem, describeValue, hostPortProblem, registerProblem, streamedCallOptionsProblem } from "./call-arguments.js";
import { rawCallOptionsError, schemeCallOptionsError, streamedCallOptionsError, unknownRawCallOption, unknownSchemeCallOption, unknownStreamedCallOption } from "./call-option-names.js";
import { connectionClosed, connectionOpened } from "./connection-events.js";
import { AlreadyListeningError, ChannelClosedError, InvalidArgumentError, describedCall } from "./errors.js";
import { EPHEMERAL_HOST_PORT, localIPv4, parseHostPort } from "./host-port.js";
import { InboundDispatcher } from "./inbound-dispatcher.js";
import { type ResolvedOptions, TCHANNEL_OPTION_NAMES, type TChannelOptions, TChannelOptionsSchema } from "./options.js";
import { optionsError } from "./options-error.js";
import { PeerDirectory } from "./peer-directory.js";
import { rawScheme } from "./raw-scheme.js";
import { schemeBodyArg, schemeCallHead, schemeCallOptions, schemeResponse } from "./scheme-call.js";
import { schemeHandler } from "./scheme-handler.js";
import type { ArgScheme, Response, SchemeCallOptions, SchemeClient } from "./scheme.js";
import { CALL_WITH_BODY_ARG, requestBodyBytes } from "./request-body.js";
import { StreamedCallSender } from "./streamed-call.js";
import { StreamedDispatcher } from "./streamed-inbound.js";
import type { StreamedCallOptions, StreamedCallResult, StreamedHandler } from "./streamed-types.js";

/**
 * A TChannel: serves registered handlers and calls other services (tchannel-python's `TChannel`).
 * `raw` is attached; other schemes attach through `scheme()` (see @tchannel/json, @tchannel/thrift).
 */
export class TChannel {
  readonly name: string;
  readonly raw: SchemeClient<Buffer, Buffer>;
  readonly #options: ResolvedOptions;
  readonly #processName: string;
  readonly #peers: PeerDirectory;
  readonly #inbound: InboundDispatcher;
  readonly #sender: CallSender;
  readonly #streamed: StreamedDispatcher;
  readonly #streamedSender: StreamedCallSender;
  readonly #connections = new Set<Connection>();
  readonly #owner: ConnectionOwner;
  #server: Server | undefined;
  #listening: Promise<string> | undefined;
  #hostPort: string | undefined;
  #closing = false;
  #closed: Promise<void> | undefined;

  constructor(options: TChannelOptions) {
    this.#options = parseOptions(options);
    this.name = this.#options.name;
    this.#processName = this.#options.processName ?? `${basename(process.argv[1] ?? "node")}[${process.pid}]`;
    const channel = this;
    const opts = this.#options;
    const inbound = (this.#inbound = new InboundDispatcher(this.name, opts));
    const streamed = (this.#streamed = new StreamedDispatcher(this.name));
    this.#owner = {
      get hostPort() {
        return channel.#hostPort ?? EPHEMERAL_HOST_PORT;
      },
      processName: this.#processName,
      initTimeout: opts.initTimeout,
      frameTimeout: opts.idleFrameTimeout ?? opts.frameTimeout,
      maxArgSize: opts.maxArgSize,
      maxPartialMessages: opts.maxPartialMessages,
      maxPartialBytes: opts.maxPartialBytes,
      get closing() {
        return channel.#closing;
      },
      requestSizeLimit: (first) => inbound.requestSizeLimit(first),
      onIdentified: (conn) => this.#onIdentified(conn),
      onCallRequest: (conn, message) => inbound.onCallRequest(conn, message),
      onCancel: (conn, id) => inbound.onCancel(conn, id) || streamed.onCancel(conn, id),
      streamRequest: (conn, first) => streamed.onFirstFrame(conn, first),
      onRequestFailed: (conn, id, error) => streamed.onRequestFailed(conn, id, error),
      onClosed: (conn, error) => this.#onClosed(conn, error),
    };
    this.#peers = new PeerDirectory(this.#owner);
    for (const hostPort of opts.knownPeers) this.#peers.addKnown(hostPort);
    this.#sender = new CallSender(this.name, opts, this.#peers);
    this.#streamedSender = new StreamedCallSender(this.name, opts, this.#peers);
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
    if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) {
      throw new InvalidArgumentError(`listen(port): port must be an integer from 0 to 65535, got ${describeValue(port)}`);
    }
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
  register(endpoint: string, scheme: string, handler: InboundHandler, options: RegisterOptions = {}): void {
    const problem = registerProblem(endpoint, scheme, handler, options);
    if (problem !== undefined) throw new InvalidArgumentError(`register(): ${problem}`);
    this.#inbound.register(options.service ?? this.name, endpoint, scheme, handler, options.maxRequestSize);
  }

  /**
   * Registers a streamed low-level handler (issue 18): it starts at the request's first frame
   * with `arg2`/`arg3` as streams (ArgStream) and answers `{ ok, arg2, arg3 }` where each arg may
   * be bytes or an (async) iterable of chunks, sent as they come. The TTL covers the whole call.
   */
  registerStreamed(endpoint: string, scheme: string, handler: StreamedHandler, options: { service?: string } = {}): void {
    const problem = registerProblem(endpoint, scheme, handler, options);
    if (problem !== undefined) throw new InvalidArgumentError(`registerStreamed(): ${problem}`);
    this.#streamed.register(options.service ?? this.name, endpoint, scheme, handler);
  }

  /**
   * A streamed low-level call (issue 18): `arg2`/`arg3` may be bytes or (async) iterables of
   * chunks (a Node Readable is one), sent as they are produced, at the pace the socket takes them.
   * Resolves at the response's first frame with its args as streams. Never retried; the
   * timeout covers the whole call; call interceptors are not consulted.
   */
  callStreamed(options: StreamedCallOptions): Promise<StreamedCallResult> {
    const problem = streamedCallOptionsProblem(options);
    if (problem !== undefined) return Promise.reject(new InvalidArgumentError(problem));
    if (unknownStreamedCallOption(options) !== undefined) return Promise.reject(streamedCallOptionsError(options, { service: options.service, endpoint: String(options.arg1) }));
    if (this.#closing) return Promise.reject(new ChannelClosedError("call on a closed channel", { service: options.service, endpoint: String(options.arg1) }));
    return this.#streamedSender.call(options);
  }

  /** Handles calls to endpoints nobody registered (instead of answering BadRequest). */
  setFallbackHandler(handler: InboundHandler | undefined): void {
    if (handler !== undefined && typeof handler !== "function") throw new InvalidArgumentError(`setFallbackHandler(): the handler must be a function or undefined, got ${describeValue(handler)}`);
    this.#inbound.setFallbackHandler(handler);
  }

  /** Binds an arg scheme to this channel: a callable client with `register`. */
  scheme<Body, Headers>(scheme: ArgScheme<Body, Headers>): SchemeClient<Body, Headers> {
    const s = scheme as Partial<ArgScheme<Body, Headers>> | null;
    if (typeof s !== "object" || s === null || typeof s.name !== "string" || s.name === "" || typeof s.encodeBody !== "function" || typeof s.decodeBody !== "function" || typeof s.encodeHeaders !== "function" || typeof s.decodeHeaders !== "function") {
      throw new InvalidArgumentError(`scheme(): expected an ArgScheme (name, encodeHeaders, decodeHeaders, encodeBody, decodeBody), got ${describeValue(scheme)}`);
    }
    const client = ((options: SchemeCallOptions<Body, Headers>) => this.#callWithScheme(scheme, options)) as SchemeClient<Body, Headers>;
    Object.defineProperty(client, "scheme", { value: scheme });
    client.register = (endpoint, handler, options) => {
      if (typeof handler !== "function") throw new InvalidArgumentError(`register(): the handler must be a function, got ${describeValue(handler)}`);
      this.register(endpoint, scheme.name, schemeHandler(scheme, handler), options);
    };
    return client;
  }

  /** Adds a peer to choose from for calls without a `hostPort`. */
  addPeer(hostPort: string): void {
    const problem = hostPortProblem("addPeer(hostPort)", hostPort);
    if (problem !== undefined) throw new InvalidArgumentError(problem);
    this.#peers.addKnown(hostPort);
  }

  /**
   * Sets the routers (e.g. Hyperbahn's) that carry calls with no `hostPort` when this channel has
   * no known peers: the call goes to a router with its service name, and the router relays it.
   * An empty list removes them.
   */
  setRouters(hostPorts: readonly string[]): void {
    if (!Array.isArray(hostPorts)) throw new InvalidArgumentError(`setRouters(): expected an array of "host:port" strings, got ${describeValue(hostPorts)}`);
    for (const hostPort of hostPorts) {
      const problem = hostPortProblem("setRouters(): each router", hostPort);
      if (problem !== undefined) throw new InvalidArgumentError(problem);
    }
    this.#peers.routers = hostPorts.map((hostPort) => this.#peers.get(hostPort));
  }

  /** The routers set with `setRouters`. */
  get routers(): readonly string[] {
    return this.#peers.routers.map((p) => p.hostPort);
  }

  /** The peers calls without a `hostPort` choose from (`knownPeers` and `addPeer`). */
  get knownPeers(): readonly string[] {
    return this.#peers.known.map((p) => p.hostPort);
  }

  /** Pings a peer over a (new or existing) connection; resolves with the round trip in ms. */
  async ping(hostPort: string, timeout = 1000): Promise<number> {
    const problem = hostPortProblem("ping(hostPort)", hostPort);
    if (problem !== undefined) throw new InvalidArgumentError(problem);
    if (!(typeof timeout === "number" && timeout > 0 && timeout <= 2 ** 31 - 1)) throw new InvalidArgumentError(`ping(): timeout must be a number of milliseconds above 0, got ${describeValue(timeout)}`);
    if (this.#closing) throw new ChannelClosedError("ping on a closed channel", { hostPort });
    const conn = await this.#peers.get(hostPort).connection();
    return conn.ping(timeout);
  }

  /**
   * A low-level call: `arg1` (the endpoint), `arg2`, `arg3` as bytes, with retries, TTL and
   * cancellation. Protocol errors reject with TChannelError subclasses; an application error
   * resolves with `ok: false`. An interceptor set with `setCallInterceptor` sees the call first.
   */
  call(options: RawCallOptions): Promise<CallResult> {
    // Strict (a misspelt `timout` must not drop the caller's timeout); allocates nothing when all keys are known.
    if (typeof options === "object" && options !== null && unknownRawCallOption(options) !== undefined) {
      return Promise.reject(rawCallOptionsError(options, describedCall(options.service, options.arg1)));
    }
    return this.#callMapped(options, undefined);
  }

  /**
   * A scheme's call (@tchannel/thrift) whose body is `body`, an arg written straight into the call
   * req frame, not `options.arg3` (left undefined): see CALL_WITH_BODY_ARG. The scheme checked
   * `options`' keys and sized (so checked) the body; the result goes through `map`.
   * @internal
   */
  [CALL_WITH_BODY_ARG]<R>(options: RawCallOptions, body: EncodableArg, map: (result: CallResult) => R): Promise<R> {
    return this.#callMapped(options, map, body) as Promise<R>;
  }

  /**
   * `call()`, its result turned into what the caller gets by `map` (in the same tick, when no
   * interceptor); `body`, when given, is arg3 as an arg written into the frame (issue 18).
   */
  #callMapped<R>(options: RawCallOptions, map: ((result: CallResult) => R) | undefined, body?: EncodableArg): Promise<R | CallResult> {
    // Wrong types from JS callers are normal input: a clear error here, never a frozen encoder.
    const problem = callOptionsProblem(options);
    if (problem !== undefined) {
      const call = typeof options === "object" && options !== null ? describedCall(options.service, options.arg1) : {};
      return Promise.reject(new InvalidArgumentError(problem, call));
    }
    const interceptor = callInterceptor();
    if (interceptor !== undefined) {
      // An interceptor reads and records arg3 as bytes: it gets them, taken now.
      if (body !== undefined) {
        try {
          options.arg3 = requestBodyBytes(body);
        } catch (err) {
          return Promise.reject(err instanceof FrameEncodeError ? new InvalidArgumentError(err.message, describedCall(options.service, options.arg1), { cause: err }) : err);
        }
      }
      let intercepted: Promise<CallResult>;
      try {
        intercepted = interceptor(options, this, (o) => this.#call(o));
      } catch (err) {
        return Promise.reject(err); // a call always fails asynchronously, whatever the interceptor does
      }
      return map === undefined ? intercepted : Promise.resolve(intercepted).then(map);
    }
    return this.#call(options, map, body);
  }

  /** The call on the wire (what an interceptor's `next` reaches), its result through `map` if given. */
  #call<R = CallResult>(options: RawCallOptions, map?: (result: CallResult) => R, body?: EncodableArg): Promise<R | CallResult> {
    if (this.#closing) return Promise.reject(new ChannelClosedError("call on a closed channel", { service: options.service, endpoint: String(options.arg1) }));
    return map === undefined ? this.#sender.call(options) : this.#sender.call(options, map, body);
  }

  /** A scheme call: one promise, settled with the decoded Response (no async wrapper around `call`). */
  #callWithScheme<Body, Headers>(scheme: ArgScheme<Body, Headers>, options: SchemeCallOptions<Body, Headers>): Promise<Response<Body, Headers>> {
    if (typeof options === "object" && options !== null && unknownSchemeCallOption(options) !== undefined) {
      return Promise.reject(schemeCallOptionsError(options, describedCall(options.service, options.endpoint)));
    }
    let raw: RawCallOptions;
    let body: EncodableArg | undefined;
    try {
      if (scheme.encodeBodyArg === undefined) {
        raw = schemeCallOptions(scheme, options);
      } else {
        // The body written straight into the call req frame (issue 18), as a handler's answer is.
        raw = schemeCallHead(scheme, options);
        const arg = schemeBodyArg(scheme, options);
        if (arg instanceof Uint8Array) raw.arg3 = arg;
        else body = arg;
      }
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#callMapped(raw, (result) => schemeResponse(scheme, options, result), body) as Promise<Response<Body, Headers>>;
  }

  // ---- connections ------------------------------------------------------------------------

  #accept(conn: Connection): void {
    if (this.#closing) {
      conn.close();
      return;
    }
    this.#connections.add(conn);
  }

  #onIdentified(conn: Connection): void {
    this.#connections.add(conn);
    this.#peers.onIdentified(conn);
    connectionOpened(conn, this.#owner.hostPort);
  }

  #onClosed(conn: Connection, error: unknown): void {
    this.#connections.delete(conn);
    this.#peers.onClosed(conn);
    this.#inbound.onConnectionClosed(conn);
    this.#streamed.onConnectionClosed(conn);
    connectionClosed(conn, this.#owner.hostPort, error);
  }

  /**
   * Graceful close: stop accepting connections, refuse new calls both ways (inbound ones are
   * Declined, outbound ones fail with ChannelClosedError), let calls in progress both ways finish
   * (up to `drainTimeout`; no retries, no new connections meanwhile), then close every connection:
   * calls still waiting fail with ChannelClosedError. Resolves once every socket is destroyed.
   * A second `close()` returns the first one's promise.
   */
  close(): Promise<void> {
    this.#closed ??= this.#close();
    return this.#closed;
  }

  async #close(): Promise<void> {
    this.#closing = true;
    const server = this.#server;
    const serverClosed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([this.#inbound.drain(), this.#sender.drain(), this.#streamed.drain(this.#options.drainTimeout)]),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.#options.drainTimeout);
      }),
    ]);
    clearTimeout(timer);
    const connections = [...this.#connections];
    for (const conn of connections) conn.close(new ChannelClosedError("channel closed", { hostPort: conn.remoteHostPort || undefined }));
    const more = this.#peers.closeAll();
    await Promise.all([serverClosed, ...connections.map((c) => c.closed), ...more.map((c) => c.closed)]);
    this.#hostPort = undefined;
  }
}

/** The channel's options, validated; a mistake is one readable line (not zod's JSON dump). */
function parseOptions(options: TChannelOptions): ResolvedOptions {
  if (typeof options !== "object" || options === null) throw new InvalidArgumentError(`new TChannel(options): options must be an object, got ${describeValue(options)}`);
  const parsed = TChannelOptionsSchema.safeParse(options);
  if (parsed.success) return parsed.data;
  // The ZodError stays reachable as the cause (@tchannel/sync words it as its own options).
  throw optionsError("TChannel options", parsed.error, options, TCHANNEL_OPTION_NAMES);
}
