// @tchannel/hyperbahn/sync-extension: advertising for @tchannel/sync's SyncTChannel. Its default
// export is a sync worker extension (the worker of a SyncTChannel imports it by URL, see
// `hyperbahnSyncExtensionUrl`) with two operations, run with `sync.invoke(name, args)`:
//   "hyperbahn.advertise" (AdvertiseOptions with `routers`) -> { body, headers, status } of the
//       first router's answer; the worker's channel listens (as tchannel-python's sync advertise
//       does), keeps re-advertising, and routes calls without hostPort through the routers;
//   "hyperbahn.stop" -> unadvertises everything advertised so far.
// Closing the SyncTChannel stops (unadvertises) too. @tchannel/sync is not imported (same layer):
// the extension matches its SyncWorkerExtensionFactory by shape, and tchannel-ts checks that.
import type { TChannel } from "@tchannel/channel";
import type { JsonHeaders } from "@tchannel/json";
import type { AdvertiseOptions } from "./advertise-options.js";
import { HyperbahnClient } from "./hyperbahn-client.js";

export { hyperbahnSyncExtensionUrl } from "./sync-extension-url.js";

/** What `hyperbahn.advertise` returns: the router's response, as plain data. */
export interface SyncAdvertiseResponse {
  body: unknown;
  headers: JsonHeaders;
  status: number;
}

export default function hyperbahnSyncExtension({ channel }: { channel: TChannel }) {
  const clients: HyperbahnClient[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(clients.splice(0).map((c) => c.stop()));
  };
  return {
    operations: {
      "hyperbahn.advertise": async (options: AdvertiseOptions): Promise<SyncAdvertiseResponse> => {
        const client = new HyperbahnClient(channel, options);
        clients.push(client);
        const response = await client.start();
        return { body: response.body, headers: response.headers, status: response.status };
      },
      "hyperbahn.stop": stopAll,
    },
    close: stopAll,
  };
}
