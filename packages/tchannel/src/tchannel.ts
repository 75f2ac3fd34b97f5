import { TChannel as CoreTChannel, type Response, type SchemeClient, type TChannelOptions } from "@tchannel/channel";
import { type AdvertiseOptions, HyperbahnClient } from "@tchannel/hyperbahn";
import { type JsonHeaders, jsonClient } from "@tchannel/json";
import { type ThriftClient, thriftClient } from "@tchannel/thrift";

/**
 * The TChannel a tchannel-python user expects: `raw`, `json` and `thrift` attached,
 * `Meta::health` served from the start, and `advertise()` on Hyperbahn.
 */
export class TChannel extends CoreTChannel {
  /** `tchannel.json({ service, endpoint, body, headers, ... })` and `tchannel.json.register(...)`. */
  readonly json: SchemeClient<unknown, JsonHeaders>;
  /** `tchannel.thrift(kv.KeyValue.getValue({ key }), options)` and `tchannel.thrift.register(...)`. */
  readonly thrift: ThriftClient;
  readonly #hyperbahn: HyperbahnClient[] = [];

  constructor(options: TChannelOptions) {
    super(options);
    this.json = jsonClient(this);
    this.thrift = thriftClient(this);
  }

  /**
   * Advertises this service (or `options.service`) on Hyperbahn: listens first if needed, resolves
   * with the first router's response, then re-advertises every `interval` (default one minute) in
   * the background until `close()`, which unadvertises. Calls without `hostPort` then go through
   * the routers when the channel has no known peers. Rejects with TimeoutError when no router
   * accepts within `timeout` (default 30 s).
   */
  async advertise(options: AdvertiseOptions): Promise<Response<unknown, JsonHeaders>> {
    const client = new HyperbahnClient(this, options);
    this.#hyperbahn.push(client);
    return client.start();
  }

  /** The Hyperbahn advertisers started by `advertise()` (for their events and counters). */
  get hyperbahn(): readonly HyperbahnClient[] {
    return this.#hyperbahn;
  }

  /** Unadvertises from Hyperbahn (best effort, ≤ 500 ms), then closes gracefully. */
  override async close(): Promise<void> {
    await Promise.all(this.#hyperbahn.map((c) => c.stop()));
    await super.close();
  }
}
