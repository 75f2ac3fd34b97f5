import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { KEYVALUE_THRIFT, type TestServer, startKeyValueServer } from "../test/test-server.js";

// The published bin, dist/cli.js, as a child process (turbo builds before this package's tests,
// see turbo.json; run `pnpm build` first when calling jest directly).
const PACKAGE_DIR = join(__dirname, "..");
const BIN = join(PACKAGE_DIR, "dist", "cli.js");

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

(existsSync(BIN) ? describe : describe.skip)("the tcurl bin (dist/cli.js)", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startKeyValueServer("keyvalue");
    server.store.set("foo", "Hello, world!");
  });
  afterAll(async () => {
    await server.close();
  });

  it("starts with a node shebang", () => {
    expect(readFileSync(BIN, "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
  });

  it("prints the response and exits 0", async () => {
    const res = await run(["-p", server.hostPort, "-t", KEYVALUE_THRIFT, "keyvalue", "KeyValue::getValue", "-3", '{"key": "foo"}']);
    expect(res).toEqual({ code: 0, stdout: '"Hello, world!"\n', stderr: "" });
  }, 30_000);

  it("exits with the error frame's code, 126 for an application error, 64 for a usage error", async () => {
    expect((await run(["-p", server.hostPort, "keyvalue", "nope", "--raw"])).code).toBe(6);
    const missing = await run(["-p", server.hostPort, "-t", KEYVALUE_THRIFT, "keyvalue", "KeyValue::getValue", '{"key": "bar"}']);
    expect(missing).toMatchObject({ code: 126, stdout: '{"key":"bar"}\n' });
    const usage = await run(["-p", server.hostPort, "keyvalue"]);
    expect(usage.code).toBe(64);
    expect(usage.stderr).toMatch(/missing the endpoint/);
  }, 30_000); // three node processes one after another: > 5 s on a loaded 2-core machine

  it("-v prints the package's version", async () => {
    const { version } = JSON.parse(readFileSync(join(PACKAGE_DIR, "package.json"), "utf8")) as { version: string };
    expect(await run(["-v"])).toEqual({ code: 0, stdout: `${version}\n`, stderr: "" });
  }, 30_000); // a node process: > 5 s twice in a full dependents run on the loaded machine
});
