// A scheme's request body written straight into the call req frame (issue 18: CALL_WITH_BODY_ARG,
// RequestBody). The body is the caller's value as it was when call() ran, on the first attempt and
// on every retry, whether the first attempt writes at once or waits for a connection; whatever
// reads arg3 as bytes (an interceptor) gets them; every size from empty to several frames arrives
// intact; limits and bad args fail at the call site with the same typed errors as bytes do.
import { afterEach, describe, expect, it } from "@jest/globals";
import { type EncodableArg, FrameEncodeError, MAX_FRAME_SIZE } from "@tchannel/frame";
import { setCallInterceptor } from "./call-interceptor.js";
import type { CallResult, RawCallOptions } from "./call-types.js";
import { CLIENT_CALL_CHANNEL } from "./diagnostics.js";
import { BusyError, InvalidArgumentError } from "./errors.js";
import { CALL_WITH_BODY_ARG, RequestBody } from "./request-body.js";
import type { ArgScheme } from "./scheme.js";
import { TChannel } from "./tchannel.js";
import diagnostics_channel from "node:diagnostics_channel";

/** An arg that writes `source` as it is when written (as a thrift struct arg reads the caller's value). */
class LiveArg implements EncodableArg {
  writes = 0;
  constructor(
    readonly source: Buffer,
    readonly size = source.length,
  ) {}
  writeInto(buf: Buffer, offset: number): number {
    this.writes++;
    this.source.copy(buf, offset);
    return offset + this.source.length;
  }
}

const open: TChannel[] = [];
afterEach(async () => {
  setCallInterceptor(undefined);
  await Promise.all(open.splice(0).map((c) => c.close()));
});

function channel(name: string, options: { maxArgSize?: number } = {}): TChannel {
  const ch = new TChannel({ name, ...options });
  open.push(ch);
  return ch;
}

/** A server whose `record` endpoint keeps every arg3 it gets; the first `busy` calls are answered Busy. */
async function recordingServer(busy = 0): Promise<{ hostPort: string; received: Buffer[] }> {
  const server = channel("rec");
  const received: Buffer[] = [];
  server.register("record", "raw", (call) => {
    received.push(Buffer.from(call.arg3));
    if (received.length <= busy) throw new BusyError("try again");
    return { ok: true, arg2: Buffer.alloc(0), arg3: Buffer.from(`${call.arg3.length}`) };
  });
  return { hostPort: await server.listen(), received };
}

function callOptions(hostPort: string): RawCallOptions {
  return { service: "rec", scheme: "raw", arg1: "record", arg2: Buffer.alloc(0), arg3: undefined, hostPort, retryLimit: 2 };
}

const length = (r: CallResult) => Number(r.arg3.toString());

function pattern(size: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

describe("RequestBody", () => {
  it("writes its arg once, then the bytes of that first write, whatever the arg's source became", () => {
    const source = pattern(100, 1);
    const arg = new LiveArg(source);
    const body = new RequestBody(arg);
    const first = Buffer.alloc(110);
    expect(body.writeInto(first, 10)).toBe(110);
    source.fill(0);
    const second = Buffer.alloc(100);
    expect(body.writeInto(second, 0)).toBe(100);
    expect(second).toEqual(pattern(100, 1));
    expect(body.bytes()).toEqual(pattern(100, 1));
    expect(arg.writes).toBe(1);
  });

  it("takes its bytes into a buffer of their own when asked before any frame", () => {
    const source = pattern(40, 2);
    const body = new RequestBody(new LiveArg(source));
    expect(body.bytes()).toEqual(pattern(40, 2));
    source.fill(9);
    const frame = Buffer.alloc(40);
    body.writeInto(frame, 0);
    expect(frame).toEqual(pattern(40, 2));
  });

  it("turns an arg that throws or writes another length into a FrameEncodeError", () => {
    const throwing = new RequestBody({ size: 3, writeInto: () => { throw new TypeError("boom"); } });
    expect(() => throwing.bytes()).toThrow(FrameEncodeError);
    expect(() => throwing.bytes()).toThrow(/boom/);
    const short = new RequestBody(new LiveArg(Buffer.alloc(2), 3));
    expect(() => short.bytes()).toThrow(FrameEncodeError);
  });
});

describe("calls whose body is written into the frame", () => {
  it("arrives intact at every size from empty to several frames, around the one-frame limit", async () => {
    const { hostPort, received } = await recordingServer();
    const client = channel("client");
    const around = Array.from({ length: 9 }, (_, i) => MAX_FRAME_SIZE - 120 + i * 15);
    const sizes = [0, 1, 64, 4096, 16 * 1024, 16 * 1024 + 1, ...around, 3 * MAX_FRAME_SIZE + 7];
    for (const [k, size] of sizes.entries()) {
      const result = await client[CALL_WITH_BODY_ARG](callOptions(hostPort), new LiveArg(pattern(size, k)), length);
      expect(result).toBe(size);
      expect(received.at(-1)!.equals(pattern(size, k))).toBe(true);
    }
  });

  it("retries with the first attempt's bytes when the caller changes its value after call()", async () => {
    const { hostPort, received } = await recordingServer(2);
    const client = channel("client");
    // Connected first: the first attempt is written in call()'s tick.
    await client.raw({ service: "rec", endpoint: "record", body: Buffer.from("warm"), hostPort });
    received.length = 0;
    for (const size of [10, 70_000]) {
      received.length = 0;
      const source = pattern(size, 3);
      const arg = new LiveArg(source);
      const pending = client[CALL_WITH_BODY_ARG](callOptions(hostPort), arg, length);
      source.fill(0xee);
      expect(await pending).toBe(size);
      expect(received).toHaveLength(3);
      for (const r of received) expect(r.equals(pattern(size, 3))).toBe(true);
      expect(arg.writes).toBe(1);
    }
  });

  it("takes the body when call() runs even if the first attempt waits for a connection", async () => {
    const { hostPort, received } = await recordingServer(1);
    const client = channel("client");
    const source = pattern(300, 4);
    const pending = client[CALL_WITH_BODY_ARG](callOptions(hostPort), new LiveArg(source), length);
    source.fill(0);
    expect(await pending).toBe(300);
    expect(received).toHaveLength(2);
    for (const r of received) expect(r.equals(pattern(300, 4))).toBe(true);
  });

  it("gives an interceptor arg3 as bytes, taken when call() runs, and sends what it passes on", async () => {
    const { hostPort, received } = await recordingServer();
    const client = channel("client");
    const seen: unknown[] = [];
    setCallInterceptor((options, _ch, next) => {
      seen.push(options.arg3);
      return new Promise((resolve) => setImmediate(resolve)).then(() => next(options));
    });
    const source = pattern(500, 5);
    const pending = client[CALL_WITH_BODY_ARG](callOptions(hostPort), new LiveArg(source), length);
    source.fill(1);
    expect(await pending).toBe(500);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(seen[0] as Uint8Array).equals(pattern(500, 5))).toBe(true);
    expect(received[0]!.equals(pattern(500, 5))).toBe(true);
  });

  it("works the same with a client:call diagnostics subscriber", async () => {
    const { hostPort, received } = await recordingServer();
    const client = channel("client");
    const starts: unknown[] = [];
    const onStart = (message: unknown) => starts.push(message);
    diagnostics_channel.tracingChannel(CLIENT_CALL_CHANNEL).start.subscribe(onStart);
    try {
      expect(await client[CALL_WITH_BODY_ARG](callOptions(hostPort), new LiveArg(pattern(100, 6)), length)).toBe(100);
    } finally {
      diagnostics_channel.tracingChannel(CLIENT_CALL_CHANNEL).start.unsubscribe(onStart);
    }
    expect(starts).toHaveLength(1);
    expect(received[0]!.equals(pattern(100, 6))).toBe(true);
  });

  it("rejects a body over maxArgSize, or one that writes another length, with InvalidArgumentError; the connection goes on", async () => {
    const { hostPort, received } = await recordingServer();
    const client = channel("client", { maxArgSize: 1000 });
    await expect(client[CALL_WITH_BODY_ARG](callOptions(hostPort), new LiveArg(Buffer.alloc(1001)), length)).rejects.toThrow(InvalidArgumentError);
    await expect(client[CALL_WITH_BODY_ARG](callOptions(hostPort), new LiveArg(Buffer.alloc(1001)), length)).rejects.toThrow(/exceeds maxArgSize/);
    await expect(client[CALL_WITH_BODY_ARG](callOptions(hostPort), new LiveArg(Buffer.alloc(10), 11), length)).rejects.toThrow(InvalidArgumentError);
    // Connected, so the bad arg is written in the frame's encode: still InvalidArgumentError.
    await expect(client[CALL_WITH_BODY_ARG](callOptions(hostPort), new LiveArg(Buffer.alloc(10), 11), length)).rejects.toThrow(InvalidArgumentError);
    expect(await client[CALL_WITH_BODY_ARG](callOptions(hostPort), new LiveArg(pattern(9, 7)), length)).toBe(9);
    expect(received.map((r) => r.length)).toEqual([9]);
  });
});

describe("a scheme with encodeBodyArg", () => {
  const text: ArgScheme<string, undefined> = {
    name: "text",
    encodeHeaders: () => Buffer.alloc(0),
    decodeHeaders: () => undefined,
    encodeBody: (body) => Buffer.from(body ?? ""),
    decodeBody: (bytes) => bytes.toString(),
    encodeBodyArg(body) {
      if (body === "bytes") return Buffer.from("as bytes");
      if (body === "garbage") return { size: "three" } as unknown as EncodableArg;
      const bytes = Buffer.from(body ?? "");
      return { size: bytes.length, writeInto: (buf, offset) => offset + bytes.copy(buf, offset) };
    },
  };

  it("writes its requests' bodies into the frame (or sends the bytes it returns) and refuses what is neither", async () => {
    const server = channel("text");
    server.scheme(text).register("echo", (req) => `echo:${req.body}`);
    const hostPort = await server.listen();
    const client = channel("client").scheme(text);
    expect((await client({ service: "text", endpoint: "echo", body: "héllo", hostPort })).body).toBe("echo:héllo");
    expect((await client({ service: "text", endpoint: "echo", body: "bytes", hostPort })).body).toBe("echo:as bytes");
    await expect(client({ service: "text", endpoint: "echo", body: "garbage", hostPort })).rejects.toThrow(InvalidArgumentError);
    await expect(client({ service: "text", endpoint: "echo", body: "garbage", hostPort })).rejects.toThrow(/encodeBodyArg returned/);
  });
});
