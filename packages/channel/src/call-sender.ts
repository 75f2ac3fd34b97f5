import { type HeaderMap, FrameEncodeError, childTracing, rootTracing } from "@tchannel/frame";
import type { CallResult, RawCallOptions } from "./call-types.js";
import type { Connection } from "./connection.js";
import { CancelledError, InvalidArgumentError, NoAvailablePeerError, TChannelError, TimeoutError } from "./errors.js";
import type { ResolvedOptions } from "./options.js";
import type { Peer } from "./peer.js";
import type { PeerDirectory } from "./peer-directory.js";
import { choosePeer } from "./peer-selector.js";
import { OutboundCall } from "./outbound-call.js";
import { clientCallMessage, withMessageArg2 } from "./client-call-events.js";
import { ClientAttemptMessage, type ClientCallMessage, clientAttemptChannel, clientCallChannel } from "./diagnostics.js";
import { requestContextStorage } from "./request-context.js";
import { DEFAULT_RETRY_LIMIT, DEFAULT_RETRY_ON, shouldRetry } from "./retry.js";

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
 * The outbound flow of a channel: a low-level call from its options to its result. Fixes the
 * deadline, builds the transport headers and tracing, then loops over attempts: chooses a peer,
 * gets a connection (opening one if needed), sends, and retries what `retry.ts` allows.
 * Each attempt waits in an `OutboundCall` (`outbound-call.ts`).
 */
export class CallSender {
  readonly #channelName: string;
  readonly #options: ResolvedOptions;
  readonly #peers: PeerDirectory;
  /** Calls in progress (between `call()` and its result), for a graceful close. */
  #active = 0;
  #closing = false;
  #idle: (() => void) | undefined;

  constructor(channelName: string, options: ResolvedOptions, peers: PeerDirectory) {
    this.#channelName = channelName;
    this.#options = options;
    this.#peers = peers;
  }

  /** Calls in progress. */
  get active(): number {
    return this.#active;
  }

  /**
   * The channel is closing: calls in progress get no more retries and open no connections.
   * Resolves when none is in progress any more.
   */
  drain(): Promise<void> {
    this.#closing = true;
    if (this.#active === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.#idle = resolve;
    });
  }

  call(options: RawCallOptions): Promise<CallResult> {
    // No subscriber, no message: the hooks cost one check per call.
    if (!clientCallChannel.hasSubscribers) return this.#call(options, undefined);
    const message = clientCallMessage(options, this.#channelName, requestContextStorage.getStore());
    return clientCallChannel.tracePromise(() => this.#call(withMessageArg2(options, message), message), message);
  }

  async #call(options: RawCallOptions, message: ClientCallMessage | undefined): Promise<CallResult> {
    // Counted for a graceful close (drain); here rather than in a wrapper, which would add ticks.
    this.#active++;
    try {
      const context = requestContextStorage.getStore();
      const started = performance.now();
      let deadline = started + (options.timeout ?? this.#options.timeout);
      // Inside a handler, the inbound call's deadline bounds ours (spec §12).
      if (context !== undefined && context.deadline < deadline) deadline = context.deadline;
      const arg1 = typeof options.arg1 === "string" ? endpointBytes(options.arg1) : options.arg1;
      const endpoint = typeof options.arg1 === "string" ? options.arg1 : undefined;
      const retryOn = options.retryOn ?? DEFAULT_RETRY_ON;
      const retryLimit = options.retryLimit ?? DEFAULT_RETRY_LIMIT;
      const headers: HeaderMap = { as: options.scheme, cn: options.callerName ?? this.#channelName, re: retryOn };
      if (options.shardKey !== undefined) headers.sk = options.shardKey;
      if (options.routingDelegate !== undefined) headers.rd = options.routingDelegate;
      if (options.transportHeaders) for (const k in options.transportHeaders) headers[k] = options.transportHeaders[k]!;
      const tracing = message?.tracing ?? (context ? childTracing(context.tracing) : rootTracing());
      const maxArgSize = this.#options.maxArgSize;
      if ((options.arg2?.length ?? 0) > maxArgSize || (options.arg3?.length ?? 0) > maxArgSize) {
        // Checked before anything is encoded (a peer with the same limit would refuse it anyway): a
        // local mistake, so InvalidArgumentError, not BadRequest (which only a peer answers).
        const size = Math.max(options.arg2?.length ?? 0, options.arg3?.length ?? 0);
        throw new InvalidArgumentError(`an arg of ${size} bytes exceeds maxArgSize (${maxArgSize} bytes)`, { service: options.service, endpoint });
      }
      const candidates = this.#peers.candidates(options.hostPort);
      // Made on the first retry: most calls have one attempt.
      let tried: Set<Peer> | undefined;
      for (let attempt = 0; ; attempt++) {
        let peer = choosePeer(candidates, tried);
        // With every candidate tried, a retry goes back to the least busy one.
        if (peer === undefined && attempt > 0) peer = choosePeer(candidates, undefined);
        if (peer === undefined) {
          throw new NoAvailablePeerError("no peer available: pass hostPort, knownPeers or routers", { service: options.service, endpoint });
        }
        const now = performance.now();
        const remaining = Math.ceil(deadline - now);
        if (now >= deadline) {
          // Nothing left (only after a failed attempt: the first always goes, however short its timeout).
          throw new TimeoutError(`request timed out after ${Math.floor(now - started)}ms`, { service: options.service, endpoint, hostPort: peer.hostPort, ttl: remaining });
        }
        // With timeoutPerAttempt, this attempt ends sooner, leaving time to retry elsewhere.
        const perAttempt = options.timeoutPerAttempt !== undefined && now + options.timeoutPerAttempt < deadline;
        const attemptDeadline = perAttempt ? now + options.timeoutPerAttempt! : deadline;
        try {
          if (message === undefined) return await this.#attempt(peer, options, arg1, headers, tracing, started, attemptDeadline, perAttempt);
          return await this.#observedAttempt(message, attempt, peer, options, arg1, headers, tracing, started, attemptDeadline, perAttempt);
        } catch (err) {
          if (!(err instanceof TChannelError)) throw err;
          err.describe({ service: options.service, endpoint, hostPort: peer.hostPort, ttl: remaining });
          (tried ??= new Set()).add(peer);
          // A closing channel never retries: the call may have run, and a retry would connect again.
          if (attempt >= retryLimit || options.signal?.aborted || this.#closing || !shouldRetry(err, retryOn)) throw err;
        }
      }
    } finally {
      if (--this.#active === 0 && this.#idle !== undefined) this.#idle();
    }
  }

  /** An attempt with subscribers: `tracing:tchannel:client:attempt:*` around it, the result in the call's message. */
  async #observedAttempt(message: ClientCallMessage, attempt: number, peer: Peer, options: RawCallOptions, arg1: Uint8Array, headers: HeaderMap, tracing: Uint8Array, started: number, deadline: number, perAttempt: boolean): Promise<CallResult> {
    message.attempts = attempt + 1;
    message.hostPort = peer.hostPort;
    let result: CallResult;
    if (clientAttemptChannel.hasSubscribers) {
      const a = new ClientAttemptMessage(message, attempt, peer.hostPort, tracing);
      result = await clientAttemptChannel.tracePromise(() => this.#attempt(peer, options, arg1, headers, a.tracing, started, deadline, perAttempt), a);
    } else {
      result = await this.#attempt(peer, options, arg1, headers, tracing, started, deadline, perAttempt);
    }
    message.ok = result.ok;
    message.code = result.code;
    return result;
  }

  /** One attempt on one peer: the TTL on the wire is the time left for the whole call (spec §12). */
  #attempt(peer: Peer, options: RawCallOptions, arg1: Uint8Array, headers: HeaderMap, tracing: Uint8Array, started: number, deadline: number, perAttempt: boolean): Promise<CallResult> {
    // Not async: with a ready connection (nearly every call) the promise below is the call's, with
    // no async wrapper and its extra ticks around it.
    const conn = peer.readyConnection();
    if (conn === undefined) return this.#connect(peer, started, deadline).then((c) => this.#send(c, peer, options, arg1, headers, tracing, started, deadline, perAttempt));
    return this.#send(conn, peer, options, arg1, headers, tracing, started, deadline, perAttempt);
  }

  #send(conn: Connection, peer: Peer, options: RawCallOptions, arg1: Uint8Array, headers: HeaderMap, tracing: Uint8Array, started: number, deadline: number, perAttempt: boolean): Promise<CallResult> {
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(new CancelledError("request cancelled by the caller", {}, { cause: signal.reason }));
    // Rounded up: the callee gives up after us, never before (its Timeout would race ours).
    const ttlNow = Math.max(1, Math.ceil(deadline - performance.now()));
    return new Promise<CallResult>((resolve, reject) => {
      const pending = new OutboundCall(conn, peer.hostPort, started, deadline, perAttempt, ttlNow, signal, resolve, reject);
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
        pending.fail(err instanceof FrameEncodeError ? new InvalidArgumentError(err.message, {}, { cause: err }) : err);
      }
    });
  }

  async #connect(peer: Peer, started: number, deadline: number): Promise<Connection> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      // Never early (a timer may fire a little before its time): wait out the rest.
      const check = () => {
        const now = performance.now();
        if (now < deadline) timer = setTimeout(check, Math.ceil(deadline - now));
        else reject(new TimeoutError(`request timed out after ${Math.floor(now - started)}ms while connecting`));
      };
      timer = setTimeout(check, Math.max(1, Math.ceil(deadline - performance.now())));
    });
    try {
      return await Promise.race([peer.connection(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

}
