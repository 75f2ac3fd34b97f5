// Smoke test of the interop harness itself: tchannel-node client <-> tchannel-node server.
// (Interop with our own implementation is tested elsewhere; this only proves the peers work.)
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { ensurePeersInstalled, type NodeServer, runNodeClient, startNodeServer } from "./peers.js";

const SERVICE = "interop-smoke";
let server: NodeServer;

beforeAll(async () => {
  ensurePeersInstalled();
  server = await startNodeServer({ service: SERVICE });
}, 15 * 60 * 1000);

afterAll(async () => {
  await server?.stop();
});

describe("tchannel-node peer harness", () => {
  it("prints a loopback host:port", () => {
    expect(server.hostPort).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(server.port).toBeGreaterThan(0);
  });

  it("runs raw, json, error and timeout calls through node-client", async () => {
    const bigLength = 300 * 1024;
    const big = Buffer.alloc(bigLength);
    const pattern = Buffer.from("0123456789abcdef");
    for (let i = 0; i < bigLength; i += pattern.length) pattern.copy(big, i);
    const bigSha = createHash("sha256").update(big).digest("hex");

    const results = await runNodeClient({
      hostPort: server.hostPort,
      service: SERVICE,
      callerName: "interop-smoke-client",
      calls: [
        { scheme: "raw", endpoint: "echo", headers: "hex:00ff10", body: { pattern: "0123456789abcdef", length: bigLength }, timeout: 5000 },
        { scheme: "json", endpoint: "add", headers: { k: "v" }, body: { a: 1, b: 2 }, timeout: 5000 },
        { scheme: "json", endpoint: "fail", body: {}, timeout: 5000 },
        { scheme: "raw", endpoint: "app-error", headers: "", body: "", timeout: 5000 },
        { scheme: "raw", endpoint: "slow", body: "2000", timeout: 100 },
        { scheme: "raw", endpoint: "echo", headers: "h", body: "crc32", checksumType: 1 },
        { scheme: "raw", endpoint: "echo", headers: "h", body: "no checksum", checksumType: 0 },
        { scheme: "raw", endpoint: "inspect", body: "x", checksumType: 0, transportHeaders: { sk: "shard" } },
        { scheme: "raw", endpoint: "error", headers: "Busy", body: "go away" },
        { scheme: "raw", endpoint: "nope" },
        { scheme: "json", endpoint: "echo", headers: { h: "1" }, body: [1, "two", { three: 3 }] },
        { scheme: "ping" },
      ],
    });
    const [echo, add, fail, appError, slow, crc32, none, inspect, busy, nope, jsonEcho, ping] = results;

    // raw echo of a 300 KiB body (fragmented on the wire both ways)
    expect(echo).toMatchObject({ ok: true, code: 0, transportHeaders: { as: "raw" } });
    expect(echo?.headers).toMatchObject({ length: 3, hex: "00ff10" });
    expect(echo?.body).toEqual({ length: bigLength, sha256: bigSha });

    // json add: headers echoed back, sum computed
    expect(add).toMatchObject({ ok: true, headers: { k: "v" }, body: { sum: 3 }, transportHeaders: { as: "json" } });

    // json application error: not-ok call res with the error object as body
    expect(fail).toMatchObject({ ok: false, body: { type: "bad", message: "nope" } });
    expect(fail?.error).toBeUndefined();

    // raw not-ok response
    expect(appError).toMatchObject({ ok: false, code: 1 });
    expect(appError?.headers).toMatchObject({ utf8: "err-head" });
    expect(appError?.body).toMatchObject({ utf8: "err-body" });
    expect(appError?.error).toBeUndefined();

    // timeout: either the client's own timer ("tchannel.request.timeout") or the server's
    // timeout error frame ("tchannel.timeout", code 1) wins the race; both classify as Timeout.
    expect(slow?.ok).toBe(false);
    expect(slow?.error?.codeName).toBe("Timeout");
    expect(["tchannel.request.timeout", "tchannel.timeout"]).toContain(slow?.error?.type);
    // Well before the 2 s answer, with room for a loaded machine.
    expect(slow?.elapsedMs).toBeLessThan(1500);

    // other checksum types
    expect(crc32).toMatchObject({ ok: true, body: { utf8: "crc32" } });
    expect(none).toMatchObject({ ok: true, body: { utf8: "no checksum" } });

    // what the server saw
    expect(inspect?.ok).toBe(true);
    const seen = JSON.parse(String(inspect?.body?.utf8));
    expect(seen).toMatchObject({
      serviceName: SERVICE,
      endpoint: "inspect",
      checksumType: 0,
      headers: { as: "raw", cn: "interop-smoke-client", re: "c", sk: "shard" },
    });
    expect(seen.ttl).toBeGreaterThan(0);
    expect(seen.ttl).toBeLessThanOrEqual(5000);

    // error frames
    expect(busy).toMatchObject({ ok: false, error: { type: "tchannel.busy", code: 3, codeName: "Busy", message: "go away", isErrorFrame: true } });
    expect(nope).toMatchObject({ ok: false, error: { type: "tchannel.bad-request", code: 6, codeName: "BadRequest" } });
    expect(nope?.error?.message).toContain('endpoint="nope"');

    // json echo shares arg1 "echo" with raw echo (dispatched on the as header)
    expect(jsonEcho).toMatchObject({ ok: true, headers: { h: "1" }, body: [1, "two", { three: 3 }] });

    // ping req/res on the connection
    expect(ping).toMatchObject({ scheme: "ping", ok: true });
    expect(typeof ping?.rttMs).toBe("number");
  });

  it("runs calls in parallel and reports connection failures", async () => {
    const results = await runNodeClient({
      hostPort: server.hostPort,
      service: SERVICE,
      parallel: true,
      calls: Array.from({ length: 20 }, (_, i) => ({
        scheme: "json" as const,
        endpoint: "add",
        body: { a: i, b: 1 },
      })),
    });
    expect(results.map((r) => r.body?.sum)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));

    const refused = await runNodeClient({
      hostPort: "127.0.0.1:1",
      service: SERVICE,
      calls: [{ scheme: "raw", endpoint: "echo", timeout: 2000 }],
    });
    expect(refused[0]).toMatchObject({ ok: false, error: { type: "tchannel.socket", codeName: "NetworkError" } });
  });

  it("stops cleanly", async () => {
    const other = await startNodeServer({ service: ["a", "b"] });
    const res = await runNodeClient({
      hostPort: other.hostPort,
      service: "b",
      calls: [{ scheme: "raw", endpoint: "echo", body: "hi" }],
    });
    expect(res[0]).toMatchObject({ ok: true, body: { utf8: "hi" } });
    expect(other.exitStatus()).toBeNull();
    await other.stop();
    await other.stop();
    expect(other.exitStatus()).toEqual({ code: 0, signal: null });
    expect(other.stderr()).toBe("");
  });
});
