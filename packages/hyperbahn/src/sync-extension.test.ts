import { afterEach, describe, expect, it } from "@jest/globals";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { TChannel } from "@tchannel/channel";
import { jsonClient } from "@tchannel/json";
import hyperbahnSyncExtension, { hyperbahnSyncExtensionUrl } from "./sync-extension.js";

// The extension as the sync client's worker runs it, driven directly here (this package cannot
// use @tchannel/sync: same layer). The sync client against the real Hyperbahn is tested in
// packages/interop (sync-advertise.test.ts).

const open: TChannel[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

async function standInRouter(): Promise<{ hostPort: string; seen: string[] }> {
  const router = new TChannel({ name: "hyperbahn" });
  open.push(router);
  const json = jsonClient(router);
  const seen: string[] = [];
  json.register("ad", (req) => (seen.push(`ad ${req.transport.callerName}`), { connectionCount: 1 }));
  json.register("unad", (req) => (seen.push(`unad ${req.transport.callerName}`), { connectionCount: 1 }));
  return { hostPort: await router.listen(), seen };
}

describe("hyperbahn sync extension", () => {
  it("advertise listens, returns the router's answer as plain data, sets the routers; close unadvertises", async () => {
    const router = await standInRouter();
    const channel = new TChannel({ name: "sync-svc" });
    open.push(channel);
    const extension = hyperbahnSyncExtension({ channel });
    const response = await extension.operations["hyperbahn.advertise"]({ routers: [router.hostPort] });
    expect(response).toEqual({ body: { connectionCount: 1 }, headers: {}, status: 0 });
    expect(Object.getPrototypeOf(response)).toBe(Object.prototype); // crosses threads by structured clone
    expect(channel.isListening).toBe(true);
    expect(channel.routers).toEqual([router.hostPort]);
    await extension.close();
    await extension.close(); // nothing left to stop
    expect(router.seen).toEqual(["ad sync-svc", "unad sync-svc"]);
  });

  it("stop unadvertises every advertisement so far", async () => {
    const router = await standInRouter();
    const channel = new TChannel({ name: "sync-svc" });
    open.push(channel);
    const extension = hyperbahnSyncExtension({ channel });
    await extension.operations["hyperbahn.advertise"]({ routers: [router.hostPort] });
    await extension.operations["hyperbahn.advertise"]({ routers: [router.hostPort], service: "second" });
    await extension.operations["hyperbahn.stop"]();
    expect(router.seen.sort()).toEqual(["ad second", "ad sync-svc", "unad second", "unad sync-svc"]);
  });

  it("points the worker at the built JavaScript", () => {
    const url = hyperbahnSyncExtensionUrl();
    expect(url.pathname).toMatch(/\/dist\/sync-extension\.js$/);
    expect(existsSync(fileURLToPath(url))).toBe(true);
  });
});
