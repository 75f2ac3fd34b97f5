import { afterEach, describe, expect, it } from "@jest/globals";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { type Socket, createServer } from "node:net";
import { type ArgsFrame, ChecksumType, EMPTY_TRACING, ErrorCode, FLAG_MORE_FRAGMENTS, FrameDecoder, FrameType, encodeCallRes, encodeFrame } from "@tchannel/frame";
import type { ArgStream } from "./arg-stream.js";
import { BadRequestError, CancelledError, ChannelClosedError, NetworkError, TimeoutError, UnexpectedError } from "./errors.js";
import { Response } from "./scheme.js";
import { TChannel } from "./tchannel.js";

const open: TChannel[] = [];
function channel(name: string, options: Partial<ConstructorParameters<typeof TChannel>[0]> = {}): TChannel {
  const ch = new TChannel({ name, ...options });
  open.push(ch);
  return ch;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

/** `count` chunks of `size` bytes, each filled from its index, so order and content are checked. */
async function* chunks(count: number, size: number, onYield?: (i: number) => Promise<void> | void): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < count; i++) {
    await onYield?.(i);
    const chunk = Buffer.alloc(size, i & 0xff);
    for (let o = 0; o + 4 <= size; o += 4) chunk.writeUInt32BE((i * 1_000_003 + o) >>> 0, o);
    yield chunk;
  }
}

/** The largest send + receive buffers TCP may grow to here (Linux), else a generous 16 MiB. */
function kernelSocketBuffers(): number {
  try {
    const max = (file: string) => Number(readFileSync(file, "utf8").trim().split(/\s+/)[2]);
    const total = max("/proc/sys/net/ipv4/tcp_wmem") + max("/proc/sys/net/ipv4/tcp_rmem");
    return Number.isFinite(total) ? total : 16 * 1024 * 1024;
  } catch {
    return 16 * 1024 * 1024;
  }
}

async function digest(stream: AsyncIterable<Uint8Array>): Promise<{ bytes: number; sha: string }> {
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of stream) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { bytes, sha: hash.digest("hex") };
}

async function expected(count: number, size: number): Promise<{ bytes: number; sha: string }> {
  return digest(chunks(count, size));
}

/** A server whose "echo" streams the request's arg2 and arg3 back as they arrive. */
async function streamingEcho(options: Partial<ConstructorParameters<typeof TChannel>[0]> = {}): Promise<{ server: TChannel; hostPort: string }> {
  const server = channel("server", options);
  server.registerStreamed("echo", "raw", async (call) => ({ ok: true, arg2: await call.arg2.bytes(), arg3: call.arg3 }));
  return { server, hostPort: await server.listen() };
}

describe("streamed calls and handlers (raw)", () => {
  it.each([ChecksumType.Crc32C, ChecksumType.Crc32, ChecksumType.None])("echo 8 MiB in 100 KiB chunks end to end, checksum type %s across fragments", async (checksumType) => {
    const { hostPort } = await streamingEcho();
    const client = channel("client");
    const res = await client.callStreamed({ service: "server", scheme: "raw", arg1: "echo", arg2: "head", arg3: chunks(80, 100 * 1024), hostPort, checksumType });
    expect(res.ok).toBe(true);
    expect((await res.arg2.bytes()).toString()).toBe("head");
    expect(await digest(res.arg3)).toEqual(await expected(80, 100 * 1024));
  });

  it("sends each chunk as the producer yields it and hands it to the handler as it arrives", async () => {
    const server = channel("server");
    const seen: number[] = [];
    let arrived: (() => void) | undefined;
    server.registerStreamed("ping-pong", "raw", async (call) => {
      for await (const chunk of call.arg3) {
        seen.push(chunk.length);
        arrived?.();
      }
      return { ok: true, arg3: String(seen.length) };
    });
    const hostPort = await server.listen();
    const client = channel("client");
    // The producer yields its next chunk only once the handler has had the previous one: a
    // sender or receiver that waited for the whole body would deadlock here (and time out).
    const body = chunks(5, 3000, async (i) => {
      if (i === 0) return;
      await new Promise<void>((resolve) => (arrived = resolve));
    });
    const res = await client.callStreamed({ service: "server", scheme: "raw", arg1: "ping-pong", arg3: body, hostPort, timeout: 10_000 });
    expect((await res.arg3.bytes()).toString()).toBe("5");
    expect(seen).toEqual([3000, 3000, 3000, 3000, 3000]);
  });

  it("applies back-pressure: a producer stops a bounded distance ahead of a handler that does not read", async () => {
    // What the kernel may buffer on loopback (both sockets at their autotuning maximum) plus the
    // 1 MiB stream buffer and slack: the producer must stop below it, and we offer well above it.
    const bound = kernelSocketBuffers() + 4 * 1024 * 1024;
    const chunk = 64 * 1024;
    const count = Math.ceil((bound + 16 * 1024 * 1024) / chunk);
    const server = channel("server");
    let produced = 0;
    let consumed = 0;
    let producedWhileStalled = 0;
    server.registerStreamed("stalls", "raw", async (call) => {
      await new Promise((r) => setTimeout(r, 1000));
      producedWhileStalled = produced;
      for await (const c of call.arg3) consumed += c.length;
      return { ok: true };
    });
    const hostPort = await server.listen();
    const client = channel("client");
    const body = chunks(count, chunk, () => void (produced += chunk));
    const res = await client.callStreamed({ service: "server", scheme: "raw", arg1: "stalls", arg3: body, hostPort, timeout: 60_000 });
    await res.arg3.bytes();
    expect(consumed).toBe(count * chunk);
    expect(producedWhileStalled).toBeGreaterThan(0);
    expect(producedWhileStalled).toBeLessThan(bound);
  }, 60_000);

  it("a cancel mid-stream stops the producer, fails the caller with CancelledError and aborts the handler", async () => {
    const server = channel("server");
    let handlerError: unknown;
    let aborted = false;
    let started: () => void;
    const startedP = new Promise<void>((r) => (started = r));
    let handlerDone!: () => void;
    const handlerDoneP = new Promise<void>((r) => (handlerDone = r));
    server.registerStreamed("sink", "raw", async (call) => {
      call.signal.addEventListener("abort", () => (aborted = true));
      try {
        for await (const _ of call.arg3) started();
      } catch (err) {
        handlerError = err;
      } finally {
        handlerDone();
      }
      return { ok: true };
    });
    const hostPort = await server.listen();
    const client = channel("client");
    const controller = new AbortController();
    let yielded = 0;
    let finished = false;
    async function* body(): AsyncGenerator<Uint8Array> {
      try {
        for (;;) {
          yielded++;
          yield Buffer.alloc(1000);
          await new Promise((r) => setTimeout(r, 5));
        }
      } finally {
        finished = true;
      }
    }
    const call = client.callStreamed({ service: "server", scheme: "raw", arg1: "sink", arg3: body(), hostPort, signal: controller.signal });
    await startedP;
    controller.abort();
    await expect(call).rejects.toBeInstanceOf(CancelledError);
    await handlerDoneP;
    expect(aborted).toBe(true);
    expect(handlerError).toBeInstanceOf(CancelledError);
    const at = yielded;
    await new Promise((r) => setTimeout(r, 100));
    expect(finished).toBe(true);
    // A chunk the pump had already asked for may still be produced; nothing after it.
    expect(yielded).toBeLessThanOrEqual(at + 1);
  });

  it.each(["a response", "an error frame"] as const)("%s before the streamed request is all sent ends the request on the wire and stops its producer", async (answer) => {
    // A raw peer that answers a call at its first frame (a handler that does not read the body)
    // and records the request's frames after that.
    const frames: ArgsFrame[] = [];
    const sockets: Socket[] = [];
    let lastFrame!: () => void;
    const ended = new Promise<void>((r) => (lastFrame = r));
    const fake = createServer((s) => {
      sockets.push(s);
      const decoder = new FrameDecoder();
      s.on("data", (d) => {
        for (const f of decoder.push(d)) {
          if (f.type === FrameType.InitReq) {
            s.write(encodeFrame({ type: FrameType.InitRes, id: f.id, version: 2, headers: { host_port: "127.0.0.1:1", process_name: "fake" } }));
          } else if (f.type === FrameType.CallReq || f.type === FrameType.CallReqContinue) {
            frames.push(f as ArgsFrame);
            if (f.type === FrameType.CallReq && answer === "an error frame") {
              s.write(encodeFrame({ type: FrameType.Error, id: f.id, code: ErrorCode.BadRequest, tracing: EMPTY_TRACING, message: "not this one" }));
            } else if (f.type === FrameType.CallReq) {
              s.write(encodeCallRes({ id: f.id, code: 0, tracing: EMPTY_TRACING, headers: { as: "raw" }, checksumType: ChecksumType.Crc32C, args: [Buffer.alloc(0), Buffer.from("a2"), Buffer.from("done early")] }));
            }
            if ((f.flags & FLAG_MORE_FRAGMENTS) === 0) lastFrame();
          }
        }
      });
    });
    await new Promise<void>((r) => fake.listen(0, "127.0.0.1", () => r()));
    try {
      const hostPort = `127.0.0.1:${(fake.address() as { port: number }).port}`;
      const client = channel("client");
      let yielded = 0;
      let finished = false;
      async function* body(): AsyncGenerator<Uint8Array> {
        try {
          for (let i = 0; i < 10_000; i++) {
            yielded++;
            yield Buffer.alloc(1000, 7);
            await new Promise((r) => setTimeout(r, 5));
          }
        } finally {
          finished = true;
        }
      }
      const call = client.callStreamed({ service: "fake", scheme: "raw", arg1: "upload", arg3: body(), hostPort, timeout: 30_000 });
      if (answer === "an error frame") {
        await expect(call).rejects.toBeInstanceOf(BadRequestError);
      } else {
        const res = await call;
        expect(res.ok).toBe(true);
        expect((await res.arg2.bytes()).toString()).toBe("a2");
        expect((await res.arg3.bytes()).toString()).toBe("done early");
      }
      // The request's last frame (no "more fragments" flag) follows, ending the message.
      await Promise.race([ended, new Promise((r) => setTimeout(r, 3000))]);
      const last = frames[frames.length - 1]!;
      expect(last.type).toBe(FrameType.CallReqContinue);
      expect(last.flags & FLAG_MORE_FRAGMENTS).toBe(0);
      expect(frames.every((f) => f.id === frames[0]!.id)).toBe(true);
      // Every byte sent before the end is the producer's, in whole chunks, and it was stopped.
      const sent = frames.flatMap((f, k) => (k === 0 ? f.args.slice(2) : f.args)).reduce((n, a) => n + a.length, 0);
      expect(sent % 1000).toBe(0);
      const at = yielded;
      await new Promise((r) => setTimeout(r, 100));
      expect(finished).toBe(true);
      expect(yielded).toBeLessThanOrEqual(at + 1);
      expect(yielded).toBeLessThan(10_000);
      // The connection goes on: nothing more of that request arrives.
      const count = frames.length;
      await new Promise((r) => setTimeout(r, 50));
      expect(frames.length).toBe(count);
    } finally {
      fake.close();
      for (const s of sockets) s.destroy();
    }
  });

  it("the TTL covers the whole call: a stalled response fails the caller's read with TimeoutError", async () => {
    const server = channel("server");
    let handlerAbort: unknown;
    server.registerStreamed("stall", "raw", (call) => {
      call.signal.addEventListener("abort", () => (handlerAbort = call.signal.reason));
      async function* slow(): AsyncGenerator<Uint8Array> {
        yield Buffer.from("first");
        await new Promise((r) => setTimeout(r, 5_000));
        yield Buffer.from("never");
      }
      return { ok: true, arg3: slow() };
    });
    const hostPort = await server.listen();
    const client = channel("client");
    const res = await client.callStreamed({ service: "server", scheme: "raw", arg1: "stall", hostPort, timeout: 300 });
    const it = res.arg3[Symbol.asyncIterator]();
    expect((await it.next()).value?.toString()).toBe("first");
    await expect(it.next()).rejects.toBeInstanceOf(TimeoutError);
    // The server's side ends too: by its own TTL timer (TimeoutError), or by the cancel frame our
    // client sends when its timer fires first (CancelledError, since the client cancels on timeout).
    // Both timers run from the same TTL, so which one wins is a race; a handler left running is not.
    await new Promise((r) => setTimeout(r, 300));
    expect(handlerAbort instanceof TimeoutError || handlerAbort instanceof CancelledError).toBe(true);
  });

  it("a peer going away mid-stream fails the reads on the other side", async () => {
    // The server goes away while streaming its response.
    const server = channel("server", { drainTimeout: 50 });
    let serving!: () => void;
    const isServing = new Promise<void>((r) => (serving = r));
    server.registerStreamed("forever", "raw", () => ({
      ok: true,
      arg3: chunks(1_000_000, 1000, (i) => {
        if (i === 10) serving();
        return new Promise((r) => setTimeout(r, 1));
      }),
    }));
    const hostPort = await server.listen();
    const client = channel("client");
    const res = await client.callStreamed({ service: "server", scheme: "raw", arg1: "forever", hostPort });
    const reading = digest(res.arg3);
    await isServing;
    await server.close();
    await expect(reading).rejects.toBeInstanceOf(NetworkError);

    // The client goes away while streaming its request.
    const server2 = channel("server2");
    let handlerError: unknown;
    let got!: () => void;
    const gotSome = new Promise<void>((r) => (got = r));
    server2.registerStreamed("sink", "raw", async (call) => {
      try {
        for await (const _ of call.arg3) got();
      } catch (err) {
        handlerError = err;
      }
      return { ok: true };
    });
    const hostPort2 = await server2.listen();
    const client2 = channel("client2");
    const pending = client2.callStreamed({ service: "server2", scheme: "raw", arg1: "sink", arg3: chunks(1_000_000, 1000, () => new Promise((r) => setTimeout(r, 1))), hostPort: hostPort2 });
    await gotSome;
    await client2.close();
    // Its own channel closing ends it: ChannelClosedError (never retried), not a network failure.
    await expect(pending).rejects.toBeInstanceOf(ChannelClosedError);
    await new Promise((r) => setTimeout(r, 100));
    // To the server, its peer went away: NetworkError, as for an ordinary handler.
    expect(handlerError).toBeInstanceOf(NetworkError);
  });

  it("a handler's failure before its answer is an error frame; after it started, an error frame mid-stream", async () => {
    const server = channel("server");
    server.registerStreamed("throws", "raw", () => {
      throw new Error("boom");
    });
    server.registerStreamed("breaks", "raw", () => ({
      ok: true,
      arg3: (async function* () {
        yield Buffer.from("partial");
        // Past this turn of the event loop, so "partial" (and the code) has gone out first.
        await new Promise((r) => setTimeout(r, 20));
        throw new Error("producer broke");
      })(),
    }));
    server.registerStreamed("app-error", "raw", () => ({ ok: false, arg2: "h", arg3: "not found" }));
    const hostPort = await server.listen();
    const client = channel("client");
    await expect(client.callStreamed({ service: "server", scheme: "raw", arg1: "throws", hostPort })).rejects.toBeInstanceOf(UnexpectedError);
    const res = await client.callStreamed({ service: "server", scheme: "raw", arg1: "breaks", hostPort });
    expect(res.ok).toBe(true);
    await expect(res.arg3.bytes()).rejects.toThrow(/producer broke/);
    const app = await client.callStreamed({ service: "server", scheme: "raw", arg1: "app-error", hostPort });
    expect(app.ok).toBe(false);
    expect(app.code).toBe(1);
    expect((await app.arg3.bytes()).toString()).toBe("not found");
  });

  it("streams to an ordinary handler (reassembled) and from an ordinary call to a streamed handler", async () => {
    const { hostPort } = await streamingEcho();
    const server = channel("plain");
    server.raw.register("len", (req) => new Response(Buffer.from(String(req.body.length)), req.headers));
    const plainHostPort = await server.listen();
    const client = channel("client");
    const res = await client.callStreamed({ service: "plain", scheme: "raw", arg1: "len", arg3: chunks(30, 10_000), hostPort: plainHostPort });
    expect((await res.arg3.bytes()).toString()).toBe("300000");
    // A buffered call of 1 MiB to the streaming echo.
    const body = Buffer.alloc(1024 * 1024, 7);
    const echoed = await client.raw({ service: "server", endpoint: "echo", body, headers: Buffer.from("x"), hostPort });
    expect(echoed.body.equals(body)).toBe(true);
    expect(echoed.headers.toString()).toBe("x");
  });

  it("reading arg3 drops the unread rest of arg2 instead of holding the connection", async () => {
    const server = channel("server");
    server.registerStreamed("skip-head", "raw", async (call) => ({ ok: true, arg3: String((await digest(call.arg3)).bytes) }));
    const hostPort = await server.listen();
    const client = channel("client");
    const res = await client.callStreamed({ service: "server", scheme: "raw", arg1: "skip-head", arg2: chunks(64, 64 * 1024), arg3: chunks(2, 10), hostPort });
    expect((await res.arg3.bytes()).toString()).toBe("20");
  });

  it("an arg stream is read once", async () => {
    const { hostPort } = await streamingEcho();
    const client = channel("client");
    const res = await client.callStreamed({ service: "server", scheme: "raw", arg1: "echo", arg3: "x", hostPort });
    const stream: ArgStream = res.arg3;
    await stream.bytes();
    expect(() => stream[Symbol.asyncIterator]()).toThrow(TypeError);
  });
});
