import { afterEach, describe, expect, it } from "@jest/globals";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BusyError, type Request, TChannel, TimeoutError } from "@tchannel/channel";
import { jsonClient } from "@tchannel/json";
import { advertise, HyperbahnClient } from "./hyperbahn-client.js";
import { RouterFileError } from "./router-file.js";

// A stand-in router: our own channel serving Hyperbahn's json `ad`/`unad` endpoints. The real
// router is tested in packages/interop (hyperbahn-client.test.ts).

const open: TChannel[] = [];
const clients: HyperbahnClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.stop()));
  await Promise.all(open.splice(0).map((c) => c.close()));
});

function channel(name: string): TChannel {
  const ch = new TChannel({ name });
  open.push(ch);
  return ch;
}

interface FakeRouter {
  hostPort: string;
  ads: Request<unknown, unknown>[];
  unads: Request<unknown, unknown>[];
  /** Answers the next `n` ads with BusyError. */
  failNext(n: number): void;
  /** Resolves once `n` ads have arrived. */
  waitForAds(n: number): Promise<void>;
}

async function fakeRouter(): Promise<FakeRouter> {
  const router = channel("hyperbahn");
  const json = jsonClient(router);
  const ads: Request<unknown, unknown>[] = [];
  const unads: Request<unknown, unknown>[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  let failing = 0;
  json.register("ad", (req) => {
    if (failing > 0) {
      failing--;
      throw new BusyError("router busy");
    }
    ads.push(req);
    for (const w of waiters.filter((w) => ads.length >= w.n)) w.resolve();
    return { connectionCount: 2 };
  });
  json.register("unad", (req) => {
    unads.push(req);
    return { connectionCount: 2 };
  });
  const hostPort = await router.listen();
  return {
    hostPort,
    ads,
    unads,
    failNext: (n) => {
      failing = n;
    },
    waitForAds: (n) => (ads.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve }))),
  };
}

function track(client: HyperbahnClient): HyperbahnClient {
  clients.push(client);
  return client;
}

describe("advertise options", () => {
  it("wants exactly one of routers and routerFile", () => {
    const ch = channel("svc");
    expect(() => new HyperbahnClient(ch, {})).toThrow("exactly one of routers and routerFile");
    expect(() => new HyperbahnClient(ch, { routers: ["127.0.0.1:1"], routerFile: "hosts.json" })).toThrow("exactly one of routers and routerFile");
    expect(() => new HyperbahnClient(ch, { routers: ["nohostport"] })).toThrow("expected host:port");
    expect(() => new HyperbahnClient(ch, { routers: [] })).toThrow();
  });

  it("reads the routers from a router file, and names the file when it is wrong", () => {
    const dir = mkdtempSync(join(tmpdir(), "hyperbahn-test-"));
    const good = join(dir, "hosts.json");
    writeFileSync(good, JSON.stringify(["127.0.0.1:21300", "127.0.0.1:21301"]));
    expect(new HyperbahnClient(channel("svc"), { routerFile: good }).routers).toEqual(["127.0.0.1:21300", "127.0.0.1:21301"]);
    const notJson = join(dir, "bad.json");
    writeFileSync(notJson, "[127.0.0.1:21300");
    expect(() => new HyperbahnClient(channel("svc"), { routerFile: notJson })).toThrow(RouterFileError);
    const wrongShape = join(dir, "shape.json");
    writeFileSync(wrongShape, JSON.stringify({ routers: ["127.0.0.1:21300"] }));
    expect(() => new HyperbahnClient(channel("svc"), { routerFile: wrongShape })).toThrow(/non-empty JSON array/);
    expect(() => new HyperbahnClient(channel("svc"), { routerFile: join(dir, "missing.json") })).toThrow(/cannot read the router file/);
  });
});

describe("advertising", () => {
  it("listens first, sends ad as json with cn = the service, and routes calls through the routers", async () => {
    const router = await fakeRouter();
    const svc = channel("keyvalue-server");
    expect(svc.isListening).toBe(false);
    const { client, response } = await advertise(svc, { routers: [router.hostPort] });
    track(client);
    expect(svc.isListening).toBe(true);
    expect(response.body).toEqual({ connectionCount: 2 });
    expect(router.ads).toHaveLength(1);
    const ad = router.ads[0]!;
    expect(ad.service).toBe("hyperbahn");
    expect(ad.endpoint).toBe("ad");
    expect(ad.transport.callerName).toBe("keyvalue-server");
    expect(ad.transport.scheme).toBe("json");
    expect(ad.body).toEqual({ services: [{ serviceName: "keyvalue-server", cost: 0 }] });
    expect(svc.routers).toEqual([router.hostPort]);
  });

  it("advertises another service name when asked", async () => {
    const router = await fakeRouter();
    const { client } = await advertise(channel("proc"), { routers: [router.hostPort], service: "other-name" });
    track(client);
    expect(router.ads[0]!.body).toEqual({ services: [{ serviceName: "other-name", cost: 0 }] });
    expect(router.ads[0]!.transport.callerName).toBe("other-name");
  });

  it("re-advertises periodically, and retries a failed re-advertisement without throwing", async () => {
    const router = await fakeRouter();
    const client = track(new HyperbahnClient(channel("svc"), { routers: [router.hostPort], interval: 50 }));
    const failures: Error[] = [];
    client.on("advertise-failed", (err) => failures.push(err));
    await client.start();
    await router.waitForAds(3);
    router.failNext(2);
    const before = router.ads.length;
    await router.waitForAds(before + 2);
    expect(failures).toHaveLength(2);
    expect(failures[0]).toBeInstanceOf(BusyError);
    // The client counts an ad once its answer arrives, after the router recorded it.
    await new Promise<void>((resolve) => client.once("advertised", () => resolve()));
    expect(client.advertisements).toBeGreaterThanOrEqual(before + 2);
  });

  it("moves on to the next router when one is down", async () => {
    const dead = channel("dead");
    const deadHostPort = await dead.listen();
    await dead.close();
    const router = await fakeRouter();
    const client = track(new HyperbahnClient(channel("svc"), { routers: [deadHostPort, router.hostPort], timeout: 10_000 }));
    const failures: string[] = [];
    client.on("advertise-failed", (_err, r) => failures.push(r));
    await client.start();
    expect(router.ads).toHaveLength(1);
    expect(failures.every((r) => r === deadHostPort)).toBe(true);
  });

  it("rejects with TimeoutError when no router accepts within the timeout, and then stops", async () => {
    const dead = channel("dead");
    const deadHostPort = await dead.listen();
    await dead.close();
    const client = track(new HyperbahnClient(channel("svc"), { routers: [deadHostPort], timeout: 600 }));
    const err = await client.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toContain(deadHostPort);
    expect((err as Error).cause).toBeInstanceOf(Error);
  });

  it("unadvertises on stop and advertises no more", async () => {
    const router = await fakeRouter();
    const client = track(new HyperbahnClient(channel("svc"), { routers: [router.hostPort], interval: 30 }));
    await client.start();
    await router.waitForAds(2);
    await client.stop();
    expect(router.unads).toHaveLength(1);
    expect(router.unads[0]!.body).toEqual({ services: [{ serviceName: "svc", cost: 0 }] });
    const count = router.ads.length;
    await new Promise((r) => setTimeout(r, 150));
    expect(router.ads.length).toBe(count);
    await client.stop();
    expect(router.unads).toHaveLength(1);
  });

  it("stops re-advertising quietly when the channel closes", async () => {
    const router = await fakeRouter();
    const svc = new TChannel({ name: "svc" });
    const client = track(new HyperbahnClient(svc, { routers: [router.hostPort], interval: 20 }));
    const failures: Error[] = [];
    client.on("advertise-failed", (err) => failures.push(err));
    await client.start();
    await svc.close();
    await new Promise((r) => setTimeout(r, 100));
    expect(failures.length).toBeLessThanOrEqual(1);
  });
});
