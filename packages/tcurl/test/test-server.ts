// A keyvalue server for the tests (in-process, our own stack): thrift KeyValue::getValue/setValue
// on test/fixtures/keyvalue.thrift, Echo::* on everything.thrift, raw echo/slow/raw-fail, json
// add/fail, and Meta::health (registered by thriftClient).
import { join } from "node:path";
import { Response, TChannel } from "@tchannel/channel";
import { jsonClient } from "@tchannel/json";
import { loadThriftSync, thriftClient } from "@tchannel/thrift";

export const FIXTURES = join(__dirname, "fixtures");
export const KEYVALUE_THRIFT = join(FIXTURES, "keyvalue.thrift");
export const EVERYTHING_THRIFT = join(FIXTURES, "everything.thrift");

export interface TestServer {
  hostPort: string;
  channel: TChannel;
  store: Map<string, string>;
  close(): Promise<void>;
}

export async function startKeyValueServer(service = "keyvalue"): Promise<TestServer> {
  const channel = new TChannel({ name: service });
  const store = new Map<string, string>();
  const kv = loadThriftSync(KEYVALUE_THRIFT, { service });
  const thrift = thriftClient(channel);
  thrift.register(kv.KeyValue, "getValue", (req) => {
    const value = store.get(req.body.key);
    if (value === undefined) throw new kv.NotFoundError({ key: req.body.key });
    return new Response(value, { served: "yes" });
  });
  thrift.register(kv.KeyValue, "setValue", (req) => {
    store.set(req.body.key, req.body.value);
  });
  const everything = loadThriftSync(EVERYTHING_THRIFT, { service });
  thrift.register(everything.Echo, "echo", (req) => req.body.value);
  thrift.register(everything.Echo, "count", (req) => (req.body.values as bigint[]).reduce((a, b) => a + b, 0n));

  channel.raw.register("echo", (req) => new Response(req.body, req.headers));
  channel.raw.register("slow", async (req) => {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Number(req.body.toString()) || 1000);
      req.signal.addEventListener("abort", () => {
        clearTimeout(timer);
        resolve();
      });
    });
    return req.body;
  });
  channel.raw.register("raw-fail", () => new Response(Buffer.from("err-body"), Buffer.from("err-head"), { status: 1 }));
  const json = jsonClient(channel);
  json.register("add", (req) => {
    const { a, b } = req.body as { a: number; b: number };
    return new Response({ sum: a + b }, req.headers);
  });
  json.register("fail", () => new Response({ type: "bad", message: "nope" }, {}, { status: 1 }));
  json.register("whoami", (req) => ({ cn: req.transport.callerName, sk: req.transport.shardKey ?? null, rd: req.transport.routingDelegate ?? null, ttl: req.transport.ttl }));
  const hostPort = await channel.listen();
  return { hostPort, channel, store, close: () => channel.close() };
}
