import { describe, expect, it } from "@jest/globals";
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadThriftSync } from "./thrift-module.js";
import { generateTypes } from "./type-generator.js";

const pkg = join(__dirname, "..");
const tmp = join(pkg, "test", ".typegen-tmp");
const tsc = join(pkg, "..", "..", "node_modules", ".bin", "tsc");

const USAGE = `
import { TChannel } from "@tchannel/channel";
import { loadThriftSync, thriftClient } from "@tchannel/thrift";
import type { KitchenModule } from "./kitchen.js";

const store = loadThriftSync<KitchenModule>("kitchen.thrift", { service: "store" });
const thrift = thriftClient(new TChannel({ name: "n" }));
thrift.register(store.Store, "get", (req) => {
  const key: string = req.body.key;
  if (key === "") throw new store.shared.Missing({ key });
  return new store.Entry({ key, status: "OK", ttl: 5n });
});
thrift.register(store.Store, "clear", () => null);
export async function use(): Promise<bigint> {
  const res = await thrift(store.Store.put({ entry: new store.Entry({ key: "k" }) }));
  const statuses: "OK" | "EXPIRED" = store.Status.EXPIRED;
  void statuses;
  try {
    await thrift(store.Store.get({ key: "k" }));
  } catch (err) {
    if (err instanceof store.shared.Missing) {
      const why: string | undefined = err.why;
      void why;
    }
  }
  // @ts-expect-error a number is not a string key
  store.Store.get({ key: 1 });
  // @ts-expect-error the required key is missing
  store.Store.get({});
  // @ts-expect-error no such method
  thrift.register(store.Store, "nope", () => 1);
  // @ts-expect-error put returns an i64 (bigint), not a string
  thrift.register(store.Store, "put", () => "x");
  // @ts-expect-error i64 fields are bigints
  new store.Entry({ key: "k", ttl: "5" });
  return res.body;
}
`;

describe("tchannel-thrift types: static types for a run-time loaded IDL", () => {
  it("emits declarations that type-check correct use and reject wrong use", () => {
    const module = loadThriftSync(join(pkg, "test", "fixtures", "kitchen.thrift"), { service: "store" });
    const text = generateTypes(module, "KitchenModule");
    expect(text).toContain("put(args: { entry: Entry }): ThriftRequest<bigint>;");
    expect(text).toContain("export interface shared_Missing extends ThriftException {");
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    writeFileSync(join(tmp, "kitchen.d.ts"), text);
    writeFileSync(join(tmp, "usage.ts"), USAGE);
    writeFileSync(
      join(tmp, "tsconfig.json"),
      JSON.stringify({
        extends: "../../../../tsconfig.base.json",
        compilerOptions: { noEmit: true, customConditions: ["@tchannel/source"], types: ["node"] },
        files: ["usage.ts"],
      }),
    );
    // Throws with tsc's diagnostics if anything fails: a wrong use that compiles makes its
    // expect-error directive unused, which is an error too.
    try {
      execFileSync(tsc, ["-p", join(tmp, "tsconfig.json")], { encoding: "utf8" });
    } catch (err) {
      throw new Error(`tsc failed:\n${(err as { stdout: string }).stdout}`);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 60_000);
});
