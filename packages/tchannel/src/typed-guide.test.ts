// The README's typed guide (steps 2, 3 and 7 with `thrift.load<KeyvalueModule>`), against the
// declarations `tchannel-thrift types` writes when installed with tchannel-ts: it must type-check
// with `strict` and `skipLibCheck: false`, as a user's project would.
import { describe, expect, it } from "@jest/globals";
import { join } from "node:path";
import { generateTypes, loadThriftSync } from "@tchannel/thrift";
// tchannel-ts sits above @tchannel/thrift, so its tests may use thrift's test helper.
import { typecheckProject } from "../../thrift/test/typecheck-project.js";

const pkg = join(__dirname, "..");

const GUIDE = `
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
  console.log(\`Listening on \${await tchannel.listen()}\`);
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
`;

describe("the README's typed guide", () => {
  it("type-checks with strict and no skipLibCheck against declarations that import tchannel-ts", () => {
    const text = generateTypes(loadThriftSync(join(pkg, "test", "fixtures", "keyvalue.thrift")), "KeyvalueModule", { importFrom: "tchannel-ts" });
    expect(text).toContain(`from ${JSON.stringify("tchannel-ts")};`);
    typecheckProject(join(pkg, "test", ".typed-guide-tmp"), { "keyvalue.d.ts": text, "guide.ts": GUIDE }, ["guide.ts"], { strict: true, skipLibCheck: false });
  }, 120_000);
});
