import { afterEach, describe, expect, it, jest } from "@jest/globals";
import { type Server, type Socket, connect, createServer } from "node:net";
import { Readable } from "node:stream";
import { type ArgsFrame, ChecksumType, EMPTY_TRACING, ErrorCode, FLAG_MORE_FRAGMENTS, type Frame, FragmentWriter, FrameDecoder, FrameType, encodeCallReq, encodeCallRes, encodeFrame } from "@tchannel/frame";
import { CancelledError, NetworkError, TimeoutError } from "./errors.js";
import { Response } from "./scheme.js";
import { TChannel } from "./tchannel.js";

// How a streamed call that ends early (timeout, cancel, a dead connection) leaves the wire and
// its producers, seen from a raw peer on the other side (issue 18).

jest.setTimeout(30_000);

const open: TChannel[] = [];
const sockets: Socket[] = [];
const servers: Server[] = [];
function channel(name: string): TChannel {
  const ch = new TChannel({ name });
  open.push(ch);
  return ch;
}
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) s.close();
  await Promise.all(open.splice(0).map((c) => c.close()));
});

/** Polls `check` until it holds (generous: the machine is shared), else fails with `what`. */
async function eventually(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const until = performance.now() + ms;
  while (!check()) {
    if (performance.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const quiet = () => new Promise((r) => setTimeout(r, 100));

/** A producer that yields `chunks` of 1000 bytes and then waits for ever (a stalled source). */
function stalledProducer(chunks: number): Readable {
  const producer = new Readable({ read() {} });
  for (let i = 0; i < chunks; i++) producer.push(Buffer.alloc(1000, i));
  return producer;
}

/** Both sides of a raw TChannel conversation: frames seen, and a way to write frames. */
interface RawPeer {
  frames: Frame[];
  socket(): Socket;
}

function record(s: Socket, frames: Frame[], onFrame?: (f: Frame) => void): void {
  sockets.push(s);
  const decoder = new FrameDecoder();
  s.on("error", () => {});
  s.on("data", (d) => {
    for (const f of decoder.push(d)) {
      frames.push(f);
      onFrame?.(f);
    }
  });
}

/** A raw server: answers init, records every frame; `onFrame` may answer. */
async function rawServer(onFrame: (f: Frame, s: Socket) => void = () => {}): Promise<RawPeer & { hostPort: string }> {
  const frames: Frame[] = [];
  let socket: Socket | undefined;
  const server = createServer((s) => {
    socket = s;
    record(s, frames, (f) => {
      if (f.type === FrameType.InitReq) s.write(encodeFrame({ type: FrameType.InitRes, id: f.id, version: 2, headers: { host_port: "127.0.0.1:1", process_name: "raw" } }));
      else onFrame(f, s);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { frames, socket: () => socket!, hostPort: `127.0.0.1:${(server.address() as { port: number }).port}` };
}

/** A raw client connected to `hostPort`, past init. */
async function rawClient(hostPort: string): Promise<RawPeer> {
  const [host, port] = hostPort.split(":");
  const s = connect(Number(port), host);
  const frames: Frame[] = [];
  record(s, frames);
  s.write(encodeFrame({ type: FrameType.InitReq, id: 1, version: 2, headers: { host_port: "0.0.0.0:0", process_name: "raw" } }));
  await eventually("init res", () => frames.some((f) => f.type === FrameType.InitRes));
  return { frames, socket: () => s };
}

const head = (id: number, ttl: number) => ({ id, ttl, tracing: EMPTY_TRACING, service: "server", headers: { as: "raw", cn: "raw" }, checksumType: ChecksumType.Crc32C });

/** The first frame of a request to `endpoint` whose arg3 has begun and goes on (more fragments). */
function openRequest(id: number, endpoint: string, ttl: number): { first: Buffer[]; rest: Buffer[] } {
  const writer = FragmentWriter.request(head(id, ttl), Buffer.from(endpoint));
  writer.append(2, Buffer.alloc(500, 1));
  writer.flush();
  const first = writer.take();
  writer.append(2, Buffer.alloc(500, 2));
  writer.end();
  return { first, rest: writer.take() };
}

const forId = (frames: Frame[], id: number) => frames.filter((f) => "id" in f && f.id === id);

describe("a streamed call that ends early ends its message on the wire and stops its producer", () => {
  it.each(["timeout", "cancel"] as const)("request cut short by a %s: a cancel frame, no more of the request, the producer stopped, a late answer dropped", async (how) => {
    const peer = await rawServer((f, s) => {
      // Answers ordinary calls to "second" (the connection must go on after the late answer).
      if (f.type === FrameType.CallReq && Buffer.from(f.args[0]!).toString() === "second") {
        s.write(encodeCallRes({ id: f.id, code: 0, tracing: EMPTY_TRACING, headers: { as: "raw" }, checksumType: ChecksumType.None, args: [Buffer.alloc(0), Buffer.alloc(0), Buffer.from("ok")] }));
      }
    });
    const client = channel("client");
    const producer = stalledProducer(3);
    const controller = new AbortController();
    const call = client.callStreamed({ service: "server", scheme: "raw", arg1: "upload", arg3: producer, hostPort: peer.hostPort, timeout: how === "timeout" ? 300 : 30_000, signal: controller.signal });
    await eventually("the request's first frame", () => peer.frames.some((f) => f.type === FrameType.CallReq));
    const id = (peer.frames.find((f) => f.type === FrameType.CallReq) as ArgsFrame).id;
    if (how === "cancel") controller.abort();
    await expect(call).rejects.toBeInstanceOf(how === "timeout" ? TimeoutError : CancelledError);

    await eventually("a cancel frame", () => peer.frames.some((f) => f.type === FrameType.Cancel));
    await quiet();
    const seen = forId(peer.frames, id);
    const cancelAt = seen.findIndex((f) => f.type === FrameType.Cancel);
    // Every request frame before the cancel says more follows (no truncated "whole" body), and
    // nothing of the request comes after it.
    expect(seen.slice(0, cancelAt).every((f) => (f.type === FrameType.CallReq || f.type === FrameType.CallReqContinue) && ((f as ArgsFrame).flags & FLAG_MORE_FRAGMENTS) !== 0)).toBe(true);
    expect(seen.length).toBe(cancelAt + 1);
    // The producer was told to stop although it never yielded again (a Readable is destroyed).
    await eventually("the producer destroyed", () => producer.destroyed);

    // A late answer for that id (a streamed response's frames, then an error) harms nothing.
    const s = peer.socket();
    const late = FragmentWriter.response({ id, code: 0, tracing: EMPTY_TRACING, headers: { as: "raw" }, checksumType: ChecksumType.Crc32C }, Buffer.alloc(0));
    late.append(2, Buffer.alloc(100));
    late.flush();
    for (const piece of late.take()) s.write(piece);
    late.end();
    for (const piece of late.take()) s.write(piece);
    s.write(encodeFrame({ type: FrameType.Error, id, code: ErrorCode.Cancelled, tracing: EMPTY_TRACING, message: "cancelled" }));
    const second = await client.raw({ service: "server", endpoint: "second", body: Buffer.alloc(0), hostPort: peer.hostPort });
    expect(second.body.toString()).toBe("ok");
    expect(client.pendingCalls).toBe(0);
  });

  it("a producer that cancels its own call from next() and then stalls is stopped, not waited for", async () => {
    const peer = await rawServer();
    const client = channel("client");
    const controller = new AbortController();
    let returned = false;
    let calls = 0;
    const producer: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: () => ({
        next: () => {
          if (calls++ === 0) return Promise.resolve({ done: false, value: Buffer.alloc(1000) });
          controller.abort();
          return new Promise<IteratorResult<Uint8Array>>(() => {});
        },
        return: () => {
          returned = true;
          return Promise.resolve({ done: true, value: undefined });
        },
      }),
    };
    const call = client.callStreamed({ service: "server", scheme: "raw", arg1: "upload", arg3: producer, hostPort: peer.hostPort, timeout: 30_000, signal: controller.signal });
    await expect(call).rejects.toBeInstanceOf(CancelledError);
    await eventually("the producer's return()", () => returned);
    await eventually("a cancel frame", () => peer.frames.some((f) => f.type === FrameType.Cancel));
  });

  it("connection lost mid-request and mid-response: the response's reader throws NetworkError and the producer is stopped", async () => {
    const peer = await rawServer((f, s) => {
      // Answers at the first frame (a response may start before the request ends), then dies.
      if (f.type !== FrameType.CallReq) return;
      const res = FragmentWriter.response({ id: f.id, code: 0, tracing: EMPTY_TRACING, headers: { as: "raw" }, checksumType: ChecksumType.Crc32C }, Buffer.alloc(0));
      res.append(2, Buffer.from("partial"));
      res.flush();
      for (const piece of res.take()) s.write(piece);
      setTimeout(() => s.destroy(), 50);
    });
    const client = channel("client");
    const producer = stalledProducer(3);
    const res = await client.callStreamed({ service: "server", scheme: "raw", arg1: "upload", arg3: producer, hostPort: peer.hostPort, timeout: 30_000 });
    const it = res.arg3[Symbol.asyncIterator]();
    expect((await it.next()).value?.toString()).toBe("partial");
    await expect(it.next()).rejects.toBeInstanceOf(NetworkError);
    await eventually("the producer destroyed", () => producer.destroyed);
  });

  it.each(["timeout", "cancel"] as const)("response cut short by a %s: an error frame ends it and the handler's producer is stopped", async (how) => {
    const server = channel("server");
    const producer = stalledProducer(1);
    let signalled: unknown;
    server.registerStreamed("slow", "raw", (call) => {
      call.signal.addEventListener("abort", () => (signalled = call.signal.reason));
      return { ok: true, arg3: producer };
    });
    const peer = await rawClient(await server.listen());
    const id = 7;
    peer.socket().write(encodeCallReq({ ...head(id, how === "timeout" ? 300 : 30_000), args: [Buffer.from("slow"), Buffer.alloc(0), Buffer.alloc(0)] }));
    await eventually("the response's first frame", () => peer.frames.some((f) => f.type === FrameType.CallRes));
    expect(((peer.frames.find((f) => f.type === FrameType.CallRes) as ArgsFrame).flags & FLAG_MORE_FRAGMENTS) !== 0).toBe(true);
    if (how === "cancel") peer.socket().write(encodeFrame({ type: FrameType.Cancel, id, ttl: 0, tracing: EMPTY_TRACING, why: "no more" }));
    await eventually("an error frame", () => peer.frames.some((f) => f.type === FrameType.Error));
    await quiet();
    const seen = forId(peer.frames, id);
    const last = seen[seen.length - 1] as Extract<Frame, { type: typeof FrameType.Error }>;
    expect(last.type).toBe(FrameType.Error);
    expect(last.code).toBe(how === "timeout" ? ErrorCode.Timeout : ErrorCode.Cancelled);
    expect(seen.filter((f) => f.type === FrameType.Error)).toHaveLength(1);
    await eventually("the producer destroyed", () => producer.destroyed);
    expect(signalled).toBeInstanceOf(how === "timeout" ? TimeoutError : CancelledError);
  });

  it.each(["an ordinary handler", "a streamed handler"] as const)("a cancel for a request still arriving, to %s: answered Cancelled, its partial message dropped, the connection goes on", async (to) => {
    const server = channel("server");
    let readError: unknown;
    server.raw.register("plain", (req) => new Response(Buffer.from(String(req.body.length)), req.headers));
    server.registerStreamed("streamed", "raw", async (call) => {
      try {
        for await (const _ of call.arg3);
      } catch (err) {
        readError = err;
      }
      return { ok: true };
    });
    const peer = await rawClient(await server.listen());
    const s = peer.socket();
    const request = openRequest(9, to === "an ordinary handler" ? "plain" : "streamed", 30_000);
    for (const piece of request.first) s.write(piece);
    await quiet();
    s.write(encodeFrame({ type: FrameType.Cancel, id: 9, ttl: 0, tracing: EMPTY_TRACING, why: "gave up" }));
    await eventually("an error frame", () => forId(peer.frames, 9).length > 0);
    const answer = forId(peer.frames, 9)[0] as Extract<Frame, { type: typeof FrameType.Error }>;
    expect(answer.type).toBe(FrameType.Error);
    expect(answer.code).toBe(ErrorCode.Cancelled);
    if (to === "a streamed handler") await eventually("the handler's read to fail", () => readError instanceof CancelledError);
    // The rest of the cancelled request (sent before the peer saw the cancel) is dropped quietly.
    for (const piece of request.rest) s.write(piece);
    s.write(encodeCallReq({ ...head(11, 30_000), args: [Buffer.from("plain"), Buffer.alloc(0), Buffer.from("abc")] }));
    await eventually("the next call's answer", () => forId(peer.frames, 11).length > 0);
    const next = forId(peer.frames, 11)[0] as ArgsFrame;
    expect(next.type).toBe(FrameType.CallRes);
    expect(Buffer.from(next.args[2]!).toString()).toBe("3");
    expect(forId(peer.frames, 9)).toHaveLength(1);
    expect(peer.frames.some((f) => f.type === FrameType.Error && f.code === ErrorCode.FatalProtocol)).toBe(false);
  });

  it("connection lost while a handler streams: its reads throw NetworkError and its producer is stopped", async () => {
    const server = channel("server");
    const producer = stalledProducer(1);
    let readError: unknown;
    server.registerStreamed("both", "raw", (call) => {
      void (async () => {
        try {
          for await (const _ of call.arg3);
        } catch (err) {
          readError = err;
        }
      })();
      return { ok: true, arg3: producer };
    });
    const peer = await rawClient(await server.listen());
    for (const piece of openRequest(5, "both", 30_000).first) peer.socket().write(piece);
    await eventually("the response's first frame", () => peer.frames.some((f) => f.type === FrameType.CallRes));
    peer.socket().destroy();
    await eventually("the handler's read to fail", () => readError !== undefined);
    expect(readError).toBeInstanceOf(NetworkError);
    await eventually("the producer destroyed", () => producer.destroyed);
  });
});
