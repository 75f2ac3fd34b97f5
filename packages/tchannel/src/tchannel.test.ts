import { afterEach, describe, expect, it } from "@jest/globals";
import { join } from "node:path";
import { Response, TChannel, ThriftException, thrift } from "./index.js";

const idl = join(__dirname, "..", "..", "thrift", "test", "fixtures", "keyvalue.thrift");
const open: TChannel[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

describe("tchannel-ts: the composed TChannel", () => {
  it("serves and calls raw, json and thrift from one channel, with Meta::health", async () => {
    const server = new TChannel({ name: "keyvalue-server" });
    open.push(server);
    const kv = await thrift.load(idl, { service: "keyvalue-server" });
    const values = new Map<string, string>();
    server.thrift.register(kv.KeyValue, "getValue", (req) => {
      const v = values.get(req.body.key);
      if (v === undefined) throw new kv.NotFoundError({ key: req.body.key });
      return v;
    });
    server.thrift.register(kv.KeyValue, "setValue", (req) => {
      values.set(req.body.key, req.body.value);
    });
    server.json.register("ping", () => new Response({ pong: true }));
    server.raw.register("echo", (req) => req.body);
    const hostPort = await server.listen();

    const client = new TChannel({ name: "keyvalue-consumer", knownPeers: [hostPort] });
    open.push(client);
    await client.thrift(kv.KeyValue.setValue({ key: "foo", value: "Hello, world!" }));
    expect((await client.thrift(kv.KeyValue.getValue({ key: "foo" }))).body).toBe("Hello, world!");
    const err = await client.thrift(kv.KeyValue.getValue({ key: "nope" })).catch((e) => e);
    expect(err).toBeInstanceOf(ThriftException);
    expect((await client.json({ service: "keyvalue-server", endpoint: "ping" })).body).toEqual({ pong: true });
    expect((await client.raw({ service: "keyvalue-server", endpoint: "echo", body: Buffer.from("x") })).body.toString()).toBe("x");
    const health = await client.call({ service: "keyvalue-server", scheme: "thrift", arg1: "Meta::health", arg2: Buffer.from([0, 0]), arg3: Buffer.from([0]) });
    expect(health.ok).toBe(true);
  });
});

describe("tchannel-ts: advertise", () => {
  it("advertises through a router, routes calls through it, and unadvertises on close", async () => {
    const router = new TChannel({ name: "hyperbahn" });
    open.push(router);
    const seen: string[] = [];
    router.json.register("ad", (req) => {
      seen.push(`ad ${req.transport.callerName}`);
      return { connectionCount: 1 };
    });
    router.json.register("unad", (req) => {
      seen.push(`unad ${req.transport.callerName}`);
      return { connectionCount: 1 };
    });
    // The stand-in router also plays the service the advertised channel calls through it.
    router.json.register("hello", () => "hello from behind the router", { service: "other-service" });
    const routerHostPort = await router.listen();

    const svc = new TChannel({ name: "keyvalue-server" });
    const response = await svc.advertise({ routers: [routerHostPort] });
    expect(response.body).toEqual({ connectionCount: 1 });
    expect(svc.isListening).toBe(true);
    expect(svc.hyperbahn[0]!.advertisements).toBe(1);
    expect((await svc.json({ service: "other-service", endpoint: "hello" })).body).toBe("hello from behind the router");
    await svc.close();
    expect(seen).toEqual(["ad keyvalue-server", "unad keyvalue-server"]);
  });
});
