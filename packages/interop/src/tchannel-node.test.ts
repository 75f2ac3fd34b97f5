import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { createHash } from "node:crypto";
import { BadRequestError, BusyError, Response, TChannel, TimeoutError, UnexpectedError } from "@tchannel/channel";
import { ChecksumType } from "@tchannel/frame";
import { jsonClient } from "@tchannel/json";
import { type NodeServer, ensurePeersInstalled, runNodeClient, startNodeServer } from "./peers.js";

// Wire interop with Uber's tchannel-node 4.0.1, both directions: our client against their
// server, their client against our server (spec §4-§16).

const BIG = Buffer.alloc(300 * 1024);
for (let i = 0; i < BIG.length; i++) BIG[i] = (i * 31 + 7) & 0xff;
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

beforeAll(() => ensurePeersInstalled(), 180_000);

describe("our client → tchannel-node server", () => {
  let node: NodeServer;
  let client: TChannel;
  beforeAll(async () => {
    node = await startNodeServer({ service: "node-server" });
    client = new TChannel({ name: "ts-client" });
  });
  afterAll(async () => {
    await client.close();
    await node.stop();
  });

  it("raw echo with headers, for every checksum type tchannel-node verifies", async () => {
    for (const checksumType of [ChecksumType.None, ChecksumType.Crc32, ChecksumType.Crc32C, ChecksumType.Farmhash32]) {
      const res = await client.raw({ service: "node-server", endpoint: "echo", headers: Buffer.from("head"), body: Buffer.from("hello"), hostPort: node.hostPort, checksumType });
      expect(res.status).toBe(0);
      expect(res.headers.toString()).toBe("head");
      expect(res.body.toString()).toBe("hello");
      expect(res.transport.headers.as).toBe("raw");
    }
  });

  it("a 300 KiB body fragments and comes back intact", async () => {
    for (const checksumType of [ChecksumType.Crc32, ChecksumType.Crc32C]) {
      const res = await client.raw({ service: "node-server", endpoint: "echo", body: BIG, hostPort: node.hostPort, checksumType });
      expect(sha256(res.body)).toBe(sha256(BIG));
    }
  });

  it("sends what tchannel-node expects: as, cn, re, ttl, tracing, the checksum type", async () => {
    const res = await client.raw({ service: "node-server", endpoint: "inspect", body: Buffer.from("x"), hostPort: node.hostPort, timeout: 5000, shardKey: "shard-1", checksumType: ChecksumType.Crc32 });
    const seen = JSON.parse(res.body.toString());
    expect(seen.headers).toMatchObject({ as: "raw", cn: "ts-client", re: "c", sk: "shard-1" });
    expect(seen.checksumType).toBe(ChecksumType.Crc32);
    expect(seen.ttl).toBeGreaterThan(4000);
    expect(seen.ttl).toBeLessThanOrEqual(5000);
  });

  it("json calls, headers and application errors", async () => {
    const json = jsonClient(client);
    const res = await json({ service: "node-server", endpoint: "add", body: { a: 2, b: 40 }, headers: { k: "v" }, hostPort: node.hostPort });
    expect(res.body).toEqual({ sum: 42 });
    expect(res.headers).toMatchObject({ k: "v" });
    const fail = await json({ service: "node-server", endpoint: "fail", body: {}, hostPort: node.hostPort });
    expect(fail.status).toBe(1);
    expect(fail.body).toMatchObject({ type: "bad", message: "nope" });
  });

  it("raw application errors come back as status 1 with their args", async () => {
    const res = await client.raw({ service: "node-server", endpoint: "app-error", hostPort: node.hostPort });
    expect(res.status).toBe(1);
    expect(res.headers.toString()).toBe("err-head");
    expect(res.body.toString()).toBe("err-body");
  });

  it("error frames become our typed errors: unknown endpoint, busy, unexpected", async () => {
    const unknown = await client.raw({ service: "node-server", endpoint: "nope", hostPort: node.hostPort }).catch((e) => e);
    expect(unknown).toBeInstanceOf(BadRequestError);
    const busy = await client.raw({ service: "node-server", endpoint: "error", headers: Buffer.from("Busy"), body: Buffer.from("full"), hostPort: node.hostPort, retryOn: "n" }).catch((e) => e);
    expect(busy).toBeInstanceOf(BusyError);
    expect(busy.message).toContain("full");
    const unexpected = await client.raw({ service: "node-server", endpoint: "error", headers: Buffer.from("UnexpectedError"), body: Buffer.from("oops"), hostPort: node.hostPort, retryOn: "n" }).catch((e) => e);
    expect(unexpected).toBeInstanceOf(UnexpectedError);
  });

  it("times out a slow handler, and the connection stays usable", async () => {
    const err = await client.raw({ service: "node-server", endpoint: "slow", body: Buffer.from("400"), hostPort: node.hostPort, timeout: 100, retryOn: "n" }).catch((e) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    const res = await client.raw({ service: "node-server", endpoint: "echo", body: Buffer.from("after"), hostPort: node.hostPort });
    expect(res.body.toString()).toBe("after");
  });

  it("pings", async () => {
    expect(await client.ping(node.hostPort)).toBeGreaterThanOrEqual(0);
  });
});

describe("tchannel-node client → our server", () => {
  let server: TChannel;
  let hostPort: string;
  beforeAll(async () => {
    server = new TChannel({ name: "ts-server" });
    server.raw.register("echo", (req) => new Response(req.body, req.headers));
    server.raw.register("app-error", () => new Response(Buffer.from("err-body"), Buffer.from("err-head"), { status: 1 }));
    server.raw.register("slow", (req) => new Promise<Buffer>((resolve) => setTimeout(() => resolve(req.body), Number(req.body.toString()))));
    server.raw.register("boom", () => {
      throw new Error("kaput");
    });
    const json = jsonClient(server);
    json.register("add", (req) => {
      const body = req.body as { a: number; b: number };
      return new Response({ sum: body.a + body.b }, req.headers);
    });
    json.register("fail", () => new Response({ type: "bad", message: "nope" }, {}, { status: 1 }));
    hostPort = await server.listen();
  });
  afterAll(() => server.close());

  it("raw echo, 300 KiB bodies and every checksum type", async () => {
    const results = await runNodeClient({
      hostPort,
      service: "ts-server",
      calls: [
        { scheme: "raw", endpoint: "echo", headers: "head", body: "hello", checksumType: 3 },
        { scheme: "raw", endpoint: "echo", headers: "h", body: "none", checksumType: 0 },
        { scheme: "raw", endpoint: "echo", headers: "h", body: "crc32", checksumType: 1 },
        { scheme: "raw", endpoint: "echo", headers: "h", body: "farm", checksumType: 2 },
        { scheme: "raw", endpoint: "echo", headers: "h", body: { pattern: "big", length: 300 * 1024 }, checksumType: 3 },
        { scheme: "raw", endpoint: "echo", headers: "h", body: { pattern: "big", length: 300 * 1024 }, checksumType: 1 },
      ],
    });
    for (const r of results) expect(r).toMatchObject({ ok: true, code: 0 });
    expect(results[0]!.body.utf8).toBe("hello");
    expect(results[0]!.headers.utf8).toBe("head");
    expect(results[1]!.body.utf8).toBe("none");
    expect(results[3]!.body.utf8).toBe("farm");
    expect(results[4]!.body.length).toBe(300 * 1024);
    expect(results[5]!.body.sha256).toBe(results[4]!.body.sha256);
    expect(results[0]!.transportHeaders).toMatchObject({ as: "raw" });
  });

  it("json calls and application errors", async () => {
    const results = await runNodeClient({
      hostPort,
      service: "ts-server",
      calls: [
        { scheme: "json", endpoint: "add", headers: { k: "v" }, body: { a: 1, b: 2 } },
        { scheme: "json", endpoint: "fail", headers: {}, body: {} },
      ],
    });
    expect(results[0]).toMatchObject({ ok: true, body: { sum: 3 }, headers: { k: "v" } });
    expect(results[1]).toMatchObject({ ok: false, body: { type: "bad", message: "nope" } });
  });

  it("raw application errors, unknown endpoints, handler failures and timeouts", async () => {
    const results = await runNodeClient({
      hostPort,
      service: "ts-server",
      calls: [
        { scheme: "raw", endpoint: "app-error", headers: "", body: "" },
        { scheme: "raw", endpoint: "nope", headers: "", body: "" },
        { scheme: "raw", endpoint: "boom", headers: "", body: "", retryFlags: "n" },
        { scheme: "raw", endpoint: "slow", headers: "", body: "500", timeout: 100, retryFlags: "n" },
        { scheme: "raw", endpoint: "echo", headers: "", body: "still fine" },
      ],
    });
    expect(results[0]).toMatchObject({ ok: false, code: 1 });
    expect(results[0]!.body.utf8).toBe("err-body");
    expect(results[1]!.error).toMatchObject({ type: "tchannel.bad-request" });
    expect(results[1]!.error!.message).toContain("nope");
    expect(results[2]!.error).toMatchObject({ type: "tchannel.unexpected" });
    expect(["tchannel.request.timeout", "tchannel.timeout"]).toContain(results[3]!.error!.type);
    expect(results[4]).toMatchObject({ ok: true });
  });

  it("pings", async () => {
    const [ping] = await runNodeClient({ hostPort, service: "ts-server", calls: [{ scheme: "ping" }] });
    expect(ping).toMatchObject({ ok: true });
  });
});
