
import { TChannel, thrift } from "tchannel-ts";
import type { KeyvalueModule } from "./keyvalue.js";

export async function server(): Promise<TChannel> {
  const service = await thrift.load<KeyvalueModule>("thrift/keyvalue.thrift", { service: "keyvalue-server" });
  const tchannel = new TChannel({ name: "keyvalue-server" });
  const values = new Map<string, string>();
  tchannel.thrift.register(service.KeyValue, "getValue", (request) => {
    const value = values.get(request.body.key);
    if (value === undefined) throw new service.NotFoundError({ key: request.body.key });
    return value;
  });
  tchannel.thrift.register(service.KeyValue, "setValue", (request) => {
    values.set(request.body.key, request.body.value);
  });
  console.log(`Listening on ${await tchannel.listen()}`);
  return tchannel;
}

export async function client(): Promise<void> {
  const client = new TChannel({ name: "keyvalue-consumer" });
  const kv = await thrift.load<KeyvalueModule>("thrift/keyvalue.thrift", { service: "keyvalue-server", hostPort: "127.0.0.1:4040" });
  await client.thrift(kv.KeyValue.setValue({ key: "foo", value: "Hello, world!" }));
  const response = await client.thrift(kv.KeyValue.getValue({ key: "foo" }), { timeout: 1000 });
  const body: string = response.body;
  console.log(body);
  try {
    await client.thrift(kv.KeyValue.getValue({ key: "bar" }));
  } catch (err) {
    if (err instanceof kv.NotFoundError) console.log("no value for", err.key);
  }
  // The codec without a channel.
  const bytes = thrift.encode(kv.NotFoundError, new kv.NotFoundError({ key: "k" }));
  const decoded = thrift.decode(kv.NotFoundError, bytes);
  const key: string = decoded.key;
  void key;
  // @ts-expect-error a misspelled argument
  kv.KeyValue.getValue({ kee: "foo" });
}
