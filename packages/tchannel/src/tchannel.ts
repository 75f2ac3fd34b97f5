import { TChannel as CoreTChannel, type SchemeClient, type TChannelOptions } from "@tchannel/channel";
import { type JsonHeaders, jsonClient } from "@tchannel/json";
import { type ThriftClient, thriftClient } from "@tchannel/thrift";

/**
 * The TChannel a tchannel-python user expects: `raw`, `json` and `thrift` attached, and
 * `Meta::health` served from the start.
 */
export class TChannel extends CoreTChannel {
  /** `tchannel.json({ service, endpoint, body, headers, ... })` and `tchannel.json.register(...)`. */
  readonly json: SchemeClient<unknown, JsonHeaders>;
  /** `tchannel.thrift(kv.KeyValue.getValue({ key }), options)` and `tchannel.thrift.register(...)`. */
  readonly thrift: ThriftClient;

  constructor(options: TChannelOptions) {
    super(options);
    this.json = jsonClient(this);
    this.thrift = thriftClient(this);
  }
}
