import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { createHash } from "node:crypto";
import { TChannel } from "@tchannel/channel";
import { ChecksumType } from "@tchannel/frame";
import { type NodeServer, ensurePeersInstalled, runNodeClient, startNodeServer } from "./peers.js";

// Streamed bodies against Uber's tchannel-node 4.0.1 (issue 18), 64 MiB each way: our streamed
// call to its ordinary handler (it reassembles), and its streamed request
// (`request({streamed: true})`) to our streamed handler.

const SIZE = 64 * 1024 * 1024;
const PATTERN = Buffer.from("tchannel-ts streams 0123456789abcdef");

/** The body, generated in 256 KiB chunks as it is sent: the pattern repeated to SIZE bytes. */
async function* patternBody(size: number): AsyncGenerator<Buffer> {
  const chunk = 256 * 1024;
  for (let o = 0; o < size; o += chunk) {
    const n = Math.min(chunk, size - o);
    const buf = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) buf[i] = PATTERN[(o + i) % PATTERN.length]!;
    yield buf;
  }
}

async function expectedSha(size: number): Promise<string> {
  const hash = createHash("sha256");
  for await (const c of patternBody(size)) hash.update(c);
  return hash.digest("hex");
}

let sha: string;
beforeAll(async () => {
  ensurePeersInstalled();
  sha = await expectedSha(SIZE);
}, 180_000);

describe("streamed bodies with tchannel-node", () => {
  let node: NodeServer;
  let ours: TChannel;
  let hostPort: string;
  beforeAll(async () => {
    node = await startNodeServer({ service: "node-server" });
    ours = new TChannel({ name: "ts-stream" });
    ours.registerStreamed("digest", "raw", async (call) => {
      const head = await call.arg2.bytes();
      const hash = createHash("sha256");
      let length = 0;
      let chunks = 0;
      for await (const chunk of call.arg3) {
        hash.update(chunk);
        length += chunk.length;
        chunks++;
      }
      return { ok: true, arg2: head, arg3: JSON.stringify({ length, chunks, sha256: hash.digest("hex") }) };
    });
    // Reads nothing for a while, then slowly: its connection's socket pauses (1 MiB unread).
    ours.registerStreamed("slow-digest", "raw", async (call) => {
      await call.arg2.bytes();
      await new Promise((r) => setTimeout(r, 1500));
      let length = 0;
      for await (const chunk of call.arg3) {
        length += chunk.length;
        if (length % (1 << 20) < chunk.length) await new Promise((r) => setTimeout(r, 5));
      }
      return { ok: true, arg3: String(length) };
    });
    hostPort = await ours.listen();
  }, 60_000);
  afterAll(async () => {
    await ours.close();
    await node.stop();
  });

  it("our streamed call of 64 MiB reaches tchannel-node's ordinary handler whole (it reassembles)", async () => {
    const res = await ours.callStreamed({
      service: "node-server",
      scheme: "raw",
      arg1: "inspect",
      arg2: "stream-head",
      arg3: patternBody(SIZE),
      hostPort: node.hostPort,
      timeout: 120_000,
      checksumType: ChecksumType.Crc32C,
    });
    expect(res.ok).toBe(true);
    const seen = JSON.parse((await res.arg3.bytes()).toString());
    expect(seen.arg3).toMatchObject({ length: SIZE, sha256: sha });
    expect(seen.arg2.length).toBe("stream-head".length);
    expect(seen.headers).toMatchObject({ as: "raw", re: "n" });
  }, 180_000);

  it("tchannel-node's streamed request of 64 MiB reaches our streamed handler chunk by chunk", async () => {
    const [result] = await runNodeClient(
      {
        hostPort,
        service: "ts-stream",
        calls: [{ scheme: "raw", endpoint: "digest", streamed: true, headers: "h", body: { pattern: PATTERN.toString(), length: SIZE }, timeout: 120_000 }],
      },
      { timeoutMs: 180_000 },
    );
    expect(result!.error).toBeUndefined();
    expect(result!.ok).toBe(true);
    expect(result!.headers.utf8).toBe("h");
    const digest = JSON.parse(result!.body.utf8);
    expect(digest).toMatchObject({ length: SIZE, sha256: sha });
    // Handed over as frames arrived, not as one reassembled buffer.
    expect(digest.chunks).toBeGreaterThan(100);
  }, 180_000);

  it("a slow streamed handler holds tchannel-node's streamed request back through TCP without failing it", async () => {
    // Our reader falls behind, so we stop reading the socket; tchannel-node resets a connection
    // with over 100 writes queued, so its sender (peers/node-client.js) paces on its socket.
    const size = 32 * 1024 * 1024;
    const [result] = await runNodeClient(
      { hostPort, service: "ts-stream", calls: [{ scheme: "raw", endpoint: "slow-digest", streamed: true, headers: "h", body: { pattern: "abc", length: size }, timeout: 120_000 }] },
      { timeoutMs: 180_000 },
    );
    expect(result!.error).toBeUndefined();
    expect(result!.body.utf8).toBe(String(size));
  }, 180_000);
});
