import { type EncodableArg, type HeaderMap, type OutgoingArg, argSize, childTracing, rootTracing } from "@tchannel/frame";
import { type AttemptHost, CallAttempts, type PreparedCall } from "./call-attempts.js";
import type { CallResult, RawCallOptions } from "./call-types.js";
import type { Connection } from "./connection.js";
import { InvalidArgumentError, TimeoutError } from "./errors.js";
import type { ResolvedOptions } from "./options.js";
import type { Peer } from "./peer.js";
import type { PeerDirectory } from "./peer-directory.js";
import { clientCallMessage, withMessageArg2 } from "./client-call-events.js";
import { type ClientCallMessage, clientCallChannel } from "./diagnostics.js";
import { RequestBody } from "./request-body.js";
import { requestContextStorage } from "./request-context.js";
import { DEFAULT_RETRY_LIMIT, DEFAULT_RETRY_ON } from "./retry.js";

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
 * deadline, builds the transport headers and tracing, then hands the call to its `CallAttempts`
 * (`call-attempts.ts`), which chooses a peer, gets a connection (opening one if needed), sends,
 * and retries what `retry.ts` allows. Each attempt waits in an `OutboundCall` (`outbound-call.ts`).
 */
export class CallSender {
  readonly #channelName: string;
  readonly #options: ResolvedOptions;
  readonly #peers: PeerDirectory;
  /** Calls in progress (between `call()` and its result), for a graceful close. */
  #active = 0;
  #closing = false;
  #idle: (() => void) | undefined;

  /** What each call's attempts use of this sender (one object for all calls). */
  readonly #host: AttemptHost;

  constructor(channelName: string, options: ResolvedOptions, peers: PeerDirectory) {
    this.#channelName = channelName;
    this.#options = options;
    this.#peers = peers;
    const sender = this;
    this.#host = {
      get closing() {
        return sender.#closing;
      },
      checksumType: options.checksumType,
      connect: (peer, started, deadline) => this.#connect(peer, started, deadline),
      finished: () => this.#finished(),
    };
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

  /**
   * A call from its options to its result, or to `map(result)` (a scheme's Response, made in the
   * same tick rather than behind another promise). A failure rejects.
   */
  call(options: RawCallOptions): Promise<CallResult>;
  call<R>(options: RawCallOptions, map: (result: CallResult) => R, body?: EncodableArg): Promise<R>;
  call<R>(options: RawCallOptions, map?: (result: CallResult) => R, body?: EncodableArg): Promise<R | CallResult> {
    // No subscriber, no message: the hooks cost one check per call.
    if (!clientCallChannel.hasSubscribers) return this.#call(options, undefined, map, body);
    const message = clientCallMessage(options, this.#channelName, requestContextStorage.getStore());
    // The traced promise is the low-level call's (subscribers see its CallResult); `map` after it.
    const traced = clientCallChannel.tracePromise(() => this.#call(withMessageArg2(options, message), message, undefined, body), message) as Promise<CallResult>;
    return map === undefined ? traced : traced.then(map);
  }

  #call<R>(options: RawCallOptions, message: ClientCallMessage | undefined, map: ((result: CallResult) => R) | undefined, body?: EncodableArg): Promise<R | CallResult> {
    return new Promise<R | CallResult>((resolve, reject) => {
      // Counted for a graceful close (drain) until the call settles (AttemptHost.finished).
      this.#active++;
      let attempts: CallAttempts<R>;
      try {
        attempts = new CallAttempts(this.#host, this.#prepare(options, message, body), map, resolve, reject);
      } catch (err) {
        this.#finished();
        reject(err);
        return;
      }
      attempts.next();
    });
  }

  /** Fixes what every attempt shares: deadline, transport headers, tracing, retry policy, candidates. */
  #prepare(options: RawCallOptions, message: ClientCallMessage | undefined, body: EncodableArg | undefined): PreparedCall {
    const context = requestContextStorage.getStore();
    const started = performance.now();
    let deadline = started + (options.timeout ?? this.#options.timeout);
    // Inside a handler, the inbound call's deadline bounds ours (spec §12).
    if (context !== undefined && context.deadline < deadline) deadline = context.deadline;
    const arg1 = typeof options.arg1 === "string" ? endpointBytes(options.arg1) : options.arg1;
    const endpoint = typeof options.arg1 === "string" ? options.arg1 : undefined;
    const retryOn = options.retryOn ?? DEFAULT_RETRY_ON;
    const headers: HeaderMap = { as: options.scheme, cn: options.callerName ?? this.#channelName, re: retryOn };
    if (options.shardKey !== undefined) headers.sk = options.shardKey;
    if (options.routingDelegate !== undefined) headers.rd = options.routingDelegate;
    if (options.transportHeaders) for (const k in options.transportHeaders) headers[k] = options.transportHeaders[k]!;
    const tracing = message?.tracing ?? (context ? childTracing(context.tracing) : rootTracing());
    const maxArgSize = this.#options.maxArgSize;
    const arg3: OutgoingArg = body === undefined ? (options.arg3 ?? EMPTY) : new RequestBody(body);
    if ((options.arg2?.length ?? 0) > maxArgSize || argSize(arg3) > maxArgSize) {
      // Checked before anything is encoded (a peer with the same limit would refuse it anyway): a
      // local mistake, so InvalidArgumentError, not BadRequest (which only a peer answers).
      const size = Math.max(options.arg2?.length ?? 0, argSize(arg3));
      throw new InvalidArgumentError(`an arg of ${size} bytes exceeds maxArgSize (${maxArgSize} bytes)`, { service: options.service, endpoint });
    }
    return {
      options,
      arg1,
      arg3,
      endpoint,
      headers,
      tracing,
      started,
      deadline,
      retryOn,
      retryLimit: options.retryLimit ?? DEFAULT_RETRY_LIMIT,
      candidates: this.#peers.candidates(options.hostPort),
      message,
    };
  }

  #finished(): void {
    if (--this.#active === 0 && this.#idle !== undefined) this.#idle();
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
