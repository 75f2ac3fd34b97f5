import { afterAll, describe, expect, it } from "@jest/globals";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { runClient } from "./client.js";
import { startServer } from "./server.js";

const app = join(__dirname, "..");
const idlPath = join(app, "thrift", "keyvalue.thrift");

describe("the keyvalue example", () => {
  const closers: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const close of closers) await close();
  });

  it("serves the guide's round trip and reports a missing key as NotFoundError", async () => {
    const { tchannel, hostPort } = await startServer({ idlPath });
    closers.push(() => tchannel.close());
    const lines: string[] = [];
    const value = await runClient({ idlPath, peer: hostPort, missingKey: "bar", log: (l) => lines.push(l) });
    expect(value).toBe("Hello, world!");
    expect(lines).toEqual([
      'setValue("foo", "Hello, world!")',
      'getValue("foo") -> "Hello, world!"',
      'getValue("bar") -> NotFoundError: no value for key "bar"',
    ]);
  });

  it("runs as the README's demo: built server and client processes, server stopped cleanly", () => {
    const out = execFileSync(process.execPath, [join(app, "dist", "demo-main.js")], { encoding: "utf8" });
    expect(out).toMatch(/server: Listening on 127\.0\.0\.1:\d+/);
    expect(out).toContain('client: getValue("foo") -> "Hello, world!"');
    expect(out).toContain("client: getValue(\"bar\") -> NotFoundError");
    expect(out).toContain("demo: round trip complete");
  });
});
