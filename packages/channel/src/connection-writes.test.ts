import { afterEach, describe, expect, it, jest } from "@jest/globals";
import { type Server, type Socket, Socket as NetSocket, createServer } from "node:net";
import { type CallReqFrame, ChecksumType, EMPTY_TRACING, type Frame, FrameDecoder, FrameType, encodeCallRes, encodeFrame } from "@tchannel/frame";
import { TChannel } from "./tchannel.js";

// How a connection hands a tick's frames to its socket (Connection.write): back-to-back frames as
// one buffer, a large message's pieces in between, all in the order they were written, every
// frame intact. Seen from a raw server that decodes what arrives and answers each call itself.

const open: TChannel[] = [];
const servers: Server[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  jest.restoreAllMocks();
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) s.close();
  await Promise.all(open.splice(0).map((c) => c.close()));
});

/** A raw server that echoes each call's arg3 and records the first frame of every call, in order. */
async function echoServer(): Promise<{ hostPort: string; calls: CallReqFrame[]; frames: Frame[] }> {
  const calls: CallReqFrame[] = [];
  const frames: Frame[] = [];
  const parts = new Map<number, Buffer[]>();
  const server = createServer((s) => {
    sockets.push(s);
    const decoder = new FrameDecoder();
    s.on("data", (d) => {
      for (const f of decoder.push(d)) {
        frames.push(f);
        if (f.type === FrameType.InitReq) {
          s.write(encodeFrame({ type: FrameType.InitRes, id: f.id, version: 2, headers: { host_port: "127.0.0.1:1", process_name: "raw" } }));
        } else if (f.type === FrameType.PingReq) {
          s.write(encodeFrame({ type: FrameType.PingRes, id: f.id }));
        } else if (f.type === FrameType.CallReq || f.type === FrameType.CallReqContinue) {
          if (f.type === FrameType.CallReq) calls.push(f);
          // arg3's chunks: the last arg of the first frame, or every chunk after arg2 of a continue frame.
          const chunks = parts.get(f.id) ?? [];
          const arg3 = f.type === FrameType.CallReq ? f.args.slice(2) : f.args.slice(-1);
          chunks.push(...arg3.map((a) => Buffer.from(a)));
          parts.set(f.id, chunks);
          if ((f.flags & 0x01) === 0) {
            parts.delete(f.id);
            s.write(encodeCallRes({ id: f.id, code: 0, tracing: EMPTY_TRACING, headers: { as: "raw" }, checksumType: ChecksumType.Crc32C, args: [Buffer.alloc(0), Buffer.alloc(0), Buffer.concat(chunks)] }));
          }
        }
      }
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { hostPort: `127.0.0.1:${(server.address() as { port: number }).port}`, calls, frames };
}

describe("a connection's writes within one tick", () => {
  it("go out in order and intact, back-to-back frames as one socket write, a large message between them", async () => {
    const { hostPort, calls, frames } = await echoServer();
    const client = new TChannel({ name: "client" });
    open.push(client);
    await client.raw({ service: "server", endpoint: "warm-up", hostPort });

    const bodies = Array.from({ length: 41 }, (_, i) => (i === 20 ? Buffer.alloc(40_000, 0x5a) : Buffer.from(`call ${i} `.repeat(1 + (i % 7)))));
    const write = jest.spyOn(NetSocket.prototype, "write");
    // All in one tick: the first frame goes out at once, the rest at the tick's end.
    const answers = bodies.map((body, i) => client.raw({ service: "server", endpoint: `e${i}`, body, hostPort }));
    const ping = client.ping(hostPort);
    await new Promise((r) => process.nextTick(r));
    const writes = write.mock.calls.length;
    write.mockRestore();

    const results = await Promise.all(answers);
    results.forEach((res, i) => expect(res.body.equals(bodies[i]!)).toBe(true));
    await ping;
    // The server saw each call's first frame in the order of the calls (warm-up first).
    expect(calls.map((f) => Buffer.from(f.args[0]!).toString())).toEqual(["warm-up", ...bodies.map((_, i) => `e${i}`)]);
    expect(frames.filter((f) => f.type === FrameType.PingReq)).toHaveLength(1);
    // 41 calls and a ping, one by one, would be 42 writes or more; back to back they are a few:
    // the first frame, the 20 before the large call (pushed at 16), its pieces, the 20 after.
    expect(writes).toBeLessThanOrEqual(10);
  });

  it("reach the socket every 16 frames, not only at the tick's end, so the peer starts on a batch while the rest is made", async () => {
    const { hostPort } = await echoServer();
    const client = new TChannel({ name: "client" });
    open.push(client);
    await client.raw({ service: "server", endpoint: "warm-up", hostPort });

    const write = jest.spyOn(NetSocket.prototype, "write");
    const answers = Array.from({ length: 64 }, (_, i) => client.raw({ service: "server", endpoint: "e", body: Buffer.from(`body ${i}`), hostPort }));
    await new Promise((r) => process.nextTick(r));
    const writes = write.mock.calls.length;
    write.mockRestore();
    (await Promise.all(answers)).forEach((res, i) => expect(res.body.toString()).toBe(`body ${i}`));
    // The first frame at once, then 16, 32 and 48 frames in, then the last 15 at the tick's end:
    // 5 (one more if the frame slab began a new buffer mid-way). All at the tick's end would be 2.
    expect(writes).toBeGreaterThanOrEqual(5);
    expect(writes).toBeLessThanOrEqual(7);
  });
});
