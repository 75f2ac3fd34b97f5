import { EventEmitter } from "node:events";
import { ChannelClosedError, type Response, type SchemeClient, type TChannel, TimeoutError } from "@tchannel/channel";
import { type JsonHeaders, jsonClient } from "@tchannel/json";
import { type AdvertiseOptions, type ResolvedAdvertiseOptions, parseAdvertiseOptions } from "./advertise-options.js";
import { failureDelay, healthyDelay } from "./advertise-schedule.js";
import { readRouterFile } from "./router-file.js";

/** The service routers know as Hyperbahn's own; `ad`/`unad` are its json endpoints. */
const HYPERBAHN_SERVICE = "hyperbahn";
/** How long `stop()` waits for the `unad` answer. */
const UNADVERTISE_TIMEOUT = 500;

/** What a router answers to `ad`: how many exit nodes now know the service. */
export interface AdvertiseResult {
  connectionCount?: number;
  [key: string]: unknown;
}

export interface HyperbahnClientEvents {
  /** Every successful advertisement, the first included. */
  advertised: [result: AdvertiseResult, router: string];
  /** A failed advertisement; the client retries with backoff. Never thrown into the app. */
  "advertise-failed": [error: Error, router: string];
}

/**
 * Advertises one service on Hyperbahn and keeps it advertised (tchannel-python's
 * `TChannel.advertise`). The wire exchange (docs/hyperbahn-wire.md, "Advertise"): a json
 * call to service `hyperbahn`, endpoint `ad`, `cn` = the service, body
 * `{"services":[{"serviceName":…,"cost":0}]}`. The body carries no address: the router registers
 * the `host_port` our connection announced in its init, so the channel listens first. Calls for
 * other services then go through the routers (`channel.setRouters`) unless the channel has peers.
 */
export class HyperbahnClient extends EventEmitter<HyperbahnClientEvents> {
  readonly service: string;
  readonly routers: readonly string[];
  readonly #channel: TChannel;
  readonly #json: SchemeClient<unknown, JsonHeaders>;
  readonly #options: ResolvedAdvertiseOptions;
  #timer: NodeJS.Timeout | undefined;
  #failures = 0;
  #next = 0;
  #started = false;
  #stopped = false;
  #lastRouter: string | undefined;
  #advertisements = 0;

  constructor(channel: TChannel, options: AdvertiseOptions) {
    super();
    this.#options = parseAdvertiseOptions(options);
    this.#channel = channel;
    this.#json = jsonClient(channel);
    this.service = this.#options.service ?? channel.name;
    this.routers = this.#options.routers ?? readRouterFile(this.#options.routerFile!);
    // Start at a random router so a fleet spreads its advertisements.
    this.#next = Math.floor(Math.random() * this.routers.length);
  }

  /** Successful advertisements so far. */
  get advertisements(): number {
    return this.#advertisements;
  }

  /**
   * Listens if the channel does not yet, advertises until a router accepts (trying each router in
   * turn, backing off between rounds) and then keeps re-advertising in the background. Resolves
   * with the first router's response; rejects with TimeoutError when none accepted within
   * `timeout`, and stops trying.
   */
  async start(): Promise<Response<unknown, JsonHeaders>> {
    if (this.#started) throw new Error(`already advertising ${this.service}`);
    this.#started = true;
    await this.#channel.listen();
    if (this.#channel.routers.length === 0) this.#channel.setRouters(this.routers);
    const deadline = performance.now() + this.#options.timeout;
    let lastError: Error | undefined;
    for (;;) {
      if (this.#stopped) throw new Error(`advertising ${this.service} was stopped`);
      const left = deadline - performance.now();
      if (left < 1) break;
      const router = this.#pickRouter();
      try {
        const response = await this.#advertise(router, Math.min(this.#options.attemptTimeout, Math.ceil(left)));
        this.#schedule(healthyDelay(this.#options.interval));
        return response;
      } catch (err) {
        lastError = err as Error;
        const wait = Math.min(failureDelay(this.#failures, this.#options.interval), deadline - performance.now());
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
    }
    this.#stopped = true;
    throw new TimeoutError(
      `could not advertise ${this.service} to Hyperbahn (${this.routers.join(", ")}) within ${this.#options.timeout}ms` +
        (lastError ? `: ${lastError.message}` : ""),
      { service: HYPERBAHN_SERVICE, endpoint: "ad" },
      { cause: lastError },
    );
  }

  /**
   * Stops re-advertising and unadvertises (`unad`, best effort, at most 500 ms), so routers stop
   * sending calls before the channel closes. `{ unadvertise: false }` only stops re-advertising:
   * the routers drop the service after their reap period. Safe to call twice.
   */
  async stop(options: { unadvertise?: boolean } = {}): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const router = this.#lastRouter;
    if (router === undefined || options.unadvertise === false) return;
    try {
      await this.#json({
        service: HYPERBAHN_SERVICE,
        endpoint: "unad",
        body: this.#body(),
        hostPort: router,
        callerName: this.service,
        timeout: UNADVERTISE_TIMEOUT,
        retryLimit: 0,
      });
    } catch {
      // The router may be gone already; it forgets us when we stop re-advertising anyway.
    }
  }

  #pickRouter(): string {
    const router = this.routers[this.#next % this.routers.length]!;
    this.#next++;
    return router;
  }

  #body(): { services: { serviceName: string; cost: number }[] } {
    return { services: [{ serviceName: this.service, cost: 0 }] };
  }

  async #advertise(router: string, timeout: number): Promise<Response<unknown, JsonHeaders>> {
    try {
      const response = await this.#json({
        service: HYPERBAHN_SERVICE,
        endpoint: "ad",
        body: this.#body(),
        hostPort: router,
        callerName: this.service,
        timeout,
        retryLimit: 0,
      });
      if (!response.ok) throw new AdvertiseRejectedError(router, response.body);
      this.#failures = 0;
      this.#lastRouter = router;
      this.#advertisements++;
      const result = (response.body ?? {}) as AdvertiseResult;
      this.emit("advertised", result, router);
      return response;
    } catch (err) {
      this.#failures++;
      const error = err instanceof Error ? err : new Error(String(err));
      this.emit("advertise-failed", error, router);
      throw error;
    }
  }

  #schedule(delay: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#readvertise(), delay);
    // Re-advertising alone must not keep a process alive: the listening server does that.
    this.#timer.unref();
  }

  async #readvertise(): Promise<void> {
    if (this.#stopped) return;
    try {
      await this.#advertise(this.#pickRouter(), this.#options.attemptTimeout);
      this.#schedule(healthyDelay(this.#options.interval));
    } catch (err) {
      // A closed channel ends the schedule; anything else is retried with backoff.
      if (err instanceof ChannelClosedError) {
        this.#stopped = true;
        return;
      }
      this.#schedule(failureDelay(this.#failures, this.#options.interval));
    }
  }
}

/** A router answered `ad` with an application error (json `ok: false`). */
export class AdvertiseRejectedError extends Error {
  readonly code = "TCHANNEL_HYPERBAHN_AD_REJECTED";
  readonly router: string;
  readonly body: unknown;
  constructor(router: string, body: unknown) {
    super(`router ${router} rejected the advertisement: ${JSON.stringify(body)}`);
    this.name = "AdvertiseRejectedError";
    this.router = router;
    this.body = body;
  }
}

/** Advertises `options.service` (default: the channel's name) and keeps it advertised; see HyperbahnClient. */
export async function advertise(channel: TChannel, options: AdvertiseOptions): Promise<{ client: HyperbahnClient; response: Response<unknown, JsonHeaders> }> {
  const client = new HyperbahnClient(channel, options);
  const response = await client.start();
  return { client, response };
}
