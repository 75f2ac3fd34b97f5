import { Response } from "@tchannel/channel";
import { type AdvertiseOptions, parseAdvertiseOptions, readRouterFile } from "@tchannel/hyperbahn";
import hyperbahnSyncExtension, { type SyncAdvertiseResponse, hyperbahnSyncExtensionUrl } from "@tchannel/hyperbahn/sync-extension";
import type { JsonHeaders } from "@tchannel/json";
import { SyncTChannel as CoreSyncTChannel, type SyncTChannelOptions, type SyncWorkerExtensionFactory } from "@tchannel/sync";

// The two layer-3 packages meet here: @tchannel/sync cannot know Hyperbahn, so its worker loads
// Hyperbahn's sync extension. The compiler checks that the extension fits the sync contract.
hyperbahnSyncExtension satisfies SyncWorkerExtensionFactory;

/** Slack over the advertise timeout, so the worker's own TimeoutError arrives before the caller gives up on it. */
const ADVERTISE_SLACK_MS = 2_000;

/**
 * tchannel-python's `tchannel.sync.TChannel`: the blocking client of `@tchannel/sync` (`raw`,
 * `json`, `thrift`, `call`) plus a blocking `advertise()` on Hyperbahn.
 */
export class SyncTChannel extends CoreSyncTChannel {
  constructor(options: SyncTChannelOptions) {
    super({ ...options, workerExtensions: [...(options.workerExtensions ?? []), hyperbahnSyncExtensionUrl()] });
  }

  /**
   * Advertises this client's name (or `options.service`) on Hyperbahn and blocks until a router
   * accepts; returns that router's response (`body.connectionCount`). The worker's channel
   * listens (so the routers can reach it; it serves nothing), re-advertises in the background,
   * and from then on calls without `hostPort` go through the routers. `close()` unadvertises. A
   * restarted worker advertises again before its first call. Throws TimeoutError when no router
   * accepts within `timeout` (default 30 s). Bad options are an InvalidArgumentError at once.
   */
  advertise(options: AdvertiseOptions): Response<unknown, JsonHeaders> {
    const parsed = parseAdvertiseOptions(options);
    // A router file is read here: a relative path means the caller's working directory.
    const { routerFile, ...rest } = parsed;
    const routers = rest.routers ?? readRouterFile(routerFile!);
    const answer = this.invoke<SyncAdvertiseResponse>("hyperbahn.advertise", { ...rest, routers }, { timeout: parsed.timeout + ADVERTISE_SLACK_MS, replay: true });
    return new Response(answer.body, answer.headers, { status: answer.status });
  }
}
