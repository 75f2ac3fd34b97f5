import diagnostics from "node:diagnostics_channel";
import { afterEach, describe, expect, it } from "@jest/globals";
import { encodeTracing } from "@tchannel/frame";
import {
  CLIENT_ATTEMPT_CHANNEL,
  CLIENT_CALL_CHANNEL,
  CONNECTION_CLOSE_CHANNEL,
  CONNECTION_OPEN_CHANNEL,
  type ClientAttemptMessage,
  type ClientCallMessage,
  type ConnectionMessage,
  FRAME_ERROR_CHANNEL,
  type FrameErrorMessage,
  SERVER_CALL_CHANNEL,
  type ServerCallMessage,
} from "./diagnostics.js";
import { BusyError } from "./errors.js";
import { Response } from "./scheme.js";
import { TChannel } from "./tchannel.js";

type Event = { name: string; message: unknown };
const EVENTS = ["start", "end", "asyncStart", "asyncEnd", "error"] as const;

/** Subscribes to every channel of the core and records each event, in order, until `stop()`. */
function record(): { events: Event[]; names: (prefix: string) => string[]; stop: () => void } {
  const events: Event[] = [];
  const undo: (() => void)[] = [];
  for (const [label, name] of [
    ["client:call", CLIENT_CALL_CHANNEL],
    ["client:attempt", CLIENT_ATTEMPT_CHANNEL],
    ["server:call", SERVER_CALL_CHANNEL],
  ] as const) {
    const tc = diagnostics.tracingChannel<unknown, object>(name);
    const handlers = Object.fromEntries(EVENTS.map((e) => [e, (message: unknown) => events.push({ name: `${label}:${e}`, message })])) as unknown as Parameters<typeof tc.subscribe>[0];
    tc.subscribe(handlers);
    undo.push(() => tc.unsubscribe(handlers));
  }
  for (const [label, name] of [
    ["connection:open", CONNECTION_OPEN_CHANNEL],
    ["connection:close", CONNECTION_CLOSE_CHANNEL],
    ["frame:error", FRAME_ERROR_CHANNEL],
  ] as const) {
    const fn = (message: unknown) => events.push({ name: label, message });
    diagnostics.subscribe(name, fn);
    undo.push(() => diagnostics.unsubscribe(name, fn));
  }
  return {
    events,
    names: (prefix) => events.filter((e) => e.name.startsWith(prefix)).map((e) => e.name),
    stop: () => undo.forEach((f) => f()),
  };
}

const open: TChannel[] = [];
let recorder: ReturnType<typeof record> | undefined;
function channel(name: string): TChannel {
  const ch = new TChannel({ name });
  open.push(ch);
  return ch;
}
afterEach(async () => {
  recorder?.stop();
  recorder = undefined;
  await Promise.all(open.splice(0).map((c) => c.close()));
});

async function pair(register: (server: TChannel) => void): Promise<{ client: TChannel; hostPort: string }> {
  const server = channel("server");
  register(server);
  const hostPort = await server.listen();
  const client = channel("client");
  await client.ping(hostPort); // a ready connection: the order below has no handshake in it
  return { client, hostPort };
}

const CALL_EVENTS = ["client:call", "client:attempt", "server:call"];
const callEvents = (events: Event[]) => events.filter((e) => CALL_EVENTS.some((p) => e.name.startsWith(p))).map((e) => e.name);

describe("diagnostics channels", () => {
  it("a successful call: every event of both sides, in order, with one message object per call", async () => {
    const { client, hostPort } = await pair((s) => s.raw.register("echo", (req) => new Response(req.body, req.headers)));
    recorder = record();
    await client.raw({ service: "server", endpoint: "echo", headers: Buffer.from("h"), body: Buffer.from("b"), hostPort });
    expect(callEvents(recorder.events)).toEqual([
      "client:call:start",
      "client:attempt:start",
      "client:attempt:end",
      "client:call:end",
      "server:call:start",
      "server:call:end",
      "server:call:asyncStart",
      "server:call:asyncEnd",
      "client:attempt:asyncStart",
      "client:attempt:asyncEnd",
      "client:call:asyncStart",
      "client:call:asyncEnd",
    ]);
    const messages = (prefix: string) => new Set(recorder!.events.filter((e) => e.name.startsWith(prefix)).map((e) => e.message));
    expect(messages("client:call").size).toBe(1);
    expect(messages("server:call").size).toBe(1);
    const call = [...messages("client:call")][0] as ClientCallMessage;
    expect(call).toMatchObject({ service: "server", endpoint: "echo", scheme: "raw", callerName: "client", requestedHostPort: hostPort, hostPort, attempts: 1, ok: true, code: 0, parent: undefined });
    expect(Buffer.from(call.arg2).toString()).toBe("h");
    const attempt = [...messages("client:attempt")][0] as ClientAttemptMessage;
    expect(attempt).toMatchObject({ call, attempt: 0, hostPort });
    const served = [...messages("server:call")][0] as ServerCallMessage;
    expect(served).toMatchObject({ service: "server", endpoint: "echo", scheme: "raw", callerName: "client", ok: true, code: 0, error: undefined });
    expect(Buffer.from(served.tracing)).toEqual(Buffer.from(attempt.tracing));
    expect(recorder.names("frame:error")).toEqual([]);
  });

  it("a failed call: error events on both sides, and the error frame sent and received", async () => {
    const { client, hostPort } = await pair((s) =>
      s.raw.register("busy", () => {
        throw new BusyError("too busy");
      }),
    );
    recorder = record();
    await expect(client.raw({ service: "server", endpoint: "busy", hostPort, retryOn: "n" })).rejects.toBeInstanceOf(BusyError);
    expect(callEvents(recorder.events)).toEqual([
      "client:call:start",
      "client:attempt:start",
      "client:attempt:end",
      "client:call:end",
      "server:call:start",
      "server:call:end",
      "server:call:error",
      "server:call:asyncStart",
      "server:call:asyncEnd",
      "client:attempt:error",
      "client:attempt:asyncStart",
      "client:attempt:asyncEnd",
      "client:call:error",
      "client:call:asyncStart",
      "client:call:asyncEnd",
    ]);
    const served = recorder.events.find((e) => e.name === "server:call:error")!.message as ServerCallMessage;
    expect(served.error).toBeInstanceOf(BusyError);
    expect(served.code).toBe(0x03);
    const call = recorder.events.find((e) => e.name === "client:call:error")!.message as ClientCallMessage;
    expect(call.error).toBeInstanceOf(BusyError);
    const frames = recorder.events.filter((e) => e.name === "frame:error").map((e) => e.message as FrameErrorMessage);
    expect(frames.map((f) => [f.direction, f.code, f.message])).toEqual([
      ["out", 0x03, "too busy"],
      ["in", 0x03, "too busy"],
    ]);
  });

  it("a retry: one call, two attempts on the same message, the first failing", async () => {
    const busy = channel("busy");
    busy.raw.register("echo", () => {
      throw new BusyError("busy");
    }, { service: "svc" });
    const busyHostPort = await busy.listen();
    const good = channel("good");
    good.raw.register("echo", (req) => req.body, { service: "svc" });
    const goodHostPort = await good.listen();
    const client = new TChannel({ name: "client", knownPeers: [busyHostPort, goodHostPort] });
    open.push(client);
    await client.ping(busyHostPort);
    await client.ping(goodHostPort);
    recorder = record();
    let attempts: ClientAttemptMessage[] = [];
    for (let i = 0; i < 40 && attempts.length < 2; i++) {
      recorder.events.length = 0;
      await client.raw({ service: "svc", endpoint: "echo", body: Buffer.from("x"), retryLimit: 1 });
      attempts = [...new Set(recorder.events.filter((e) => e.name.startsWith("client:attempt")).map((e) => e.message as ClientAttemptMessage))];
    }
    expect(attempts.map((a) => [a.attempt, a.hostPort, a.error instanceof BusyError])).toEqual([
      [0, busyHostPort, true],
      [1, goodHostPort, false],
    ]);
    expect(attempts[0]!.call).toBe(attempts[1]!.call);
    expect(attempts[1]!.call).toMatchObject({ attempts: 2, hostPort: goodHostPort, ok: true });
    expect(recorder.names("client:call")).toEqual(["client:call:start", "client:call:end", "client:call:asyncStart", "client:call:asyncEnd"]);
  });

  it("start subscribers set the tracing sent and replace arg2; a handler's calls name its call as parent", async () => {
    const sent = encodeTracing({ spanId: 0x1234n, parentId: 0n, traceId: 0x5678n, flags: 1 });
    const backend = channel("backend");
    let backendTracing: Uint8Array | undefined;
    let backendArg2 = "";
    backend.register("see", "raw", (call) => {
      backendTracing = call.tracing;
      backendArg2 = call.arg2.toString();
      return { ok: true, arg2: Buffer.alloc(0), arg3: Buffer.alloc(0) };
    });
    const backendHostPort = await backend.listen();
    const front = channel("front");
    front.raw.register("proxy", async () => (await front.raw({ service: "backend", endpoint: "see", hostPort: backendHostPort })).body);
    const frontHostPort = await front.listen();
    recorder = record();
    const starts: ClientCallMessage[] = [];
    const tc = diagnostics.tracingChannel<unknown, ClientCallMessage>(CLIENT_CALL_CHANNEL);
    const handlers = {
      start: (m: ClientCallMessage) => {
        starts.push(m);
        if (m.endpoint === "proxy") m.tracing = sent;
        else m.arg2 = Buffer.from("replaced");
      },
      end: () => {},
      asyncStart: () => {},
      asyncEnd: () => {},
      error: () => {},
    };
    tc.subscribe(handlers);
    try {
      await channel("client").raw({ service: "front", endpoint: "proxy", hostPort: frontHostPort });
    } finally {
      tc.unsubscribe(handlers);
    }
    const frontCall = recorder.events.find((e) => e.name === "server:call:start" && (e.message as ServerCallMessage).endpoint === "proxy")!.message as ServerCallMessage;
    expect(Buffer.from(frontCall.tracing)).toEqual(Buffer.from(sent));
    expect(starts[1]!.parent).toBe(frontCall);
    expect(backendArg2).toBe("replaced");
    // Nobody set the inner call's tracing: the core made it a child of the inbound call's (spec §11).
    expect(Buffer.from(backendTracing!.subarray(8, 16))).toEqual(Buffer.from(sent.subarray(0, 8)));
    expect(Buffer.from(backendTracing!.subarray(16, 25))).toEqual(Buffer.from(sent.subarray(16, 25)));
  });

  it("a timed-out inbound call ends with error, asyncStart and asyncEnd when its TTL passes", async () => {
    // The handler answers long after the 40 ms TTL, so a loaded machine cannot let it win the race.
    const answerMs = 1500;
    const { client, hostPort } = await pair((s) => s.raw.register("slow", () => new Promise((resolve) => setTimeout(() => resolve(Buffer.alloc(0)), answerMs))));
    recorder = record();
    const sent = performance.now();
    await expect(client.raw({ service: "server", endpoint: "slow", hostPort, timeout: 40 })).rejects.toThrow();
    for (let i = 0; i < 240 && !recorder.names("server:call").includes("server:call:asyncEnd"); i++) await new Promise((r) => setTimeout(r, 5));
    expect(recorder.names("server:call")).toEqual(["server:call:start", "server:call:end", "server:call:error", "server:call:asyncStart", "server:call:asyncEnd"]);
    const served = recorder.events.find((e) => e.name === "server:call:error")!.message as ServerCallMessage;
    expect(served.code).toBe(0x01);
    // the late answer publishes nothing more
    await new Promise((r) => setTimeout(r, Math.max(0, sent + answerMs + 100 - performance.now())));
    expect(recorder.names("server:call")).toHaveLength(5);
  }, 15_000);

  it("a streamed call: the same events on both sides; the server's end after its streamed answer is written", async () => {
    const { client, hostPort } = await pair((s) => s.registerStreamed("stream", "raw", async (call) => ({ ok: true, arg2: await call.arg2.bytes(), arg3: call.arg3 })));
    recorder = record();
    const res = await client.callStreamed({ service: "server", scheme: "raw", arg1: "stream", arg2: Buffer.from("h"), arg3: Buffer.from("body"), hostPort });
    expect(Buffer.from(await res.arg3.bytes()).toString()).toBe("body");
    for (let i = 0; i < 100 && !recorder.names("server:call").includes("server:call:asyncEnd"); i++) await new Promise((r) => setTimeout(r, 5));
    expect(recorder.names("client:call")).toEqual(["client:call:start", "client:call:end", "client:call:asyncStart", "client:call:asyncEnd"]);
    expect(recorder.names("client:attempt")).toEqual(["client:attempt:start", "client:attempt:end", "client:attempt:asyncStart", "client:attempt:asyncEnd"]);
    expect(recorder.names("server:call")).toEqual(["server:call:start", "server:call:end", "server:call:asyncStart", "server:call:asyncEnd"]);
    const served = recorder.events.find((e) => e.name === "server:call:start")!.message as ServerCallMessage;
    const attempt = recorder.events.find((e) => e.name === "client:attempt:start")!.message as ClientAttemptMessage;
    expect(served).toMatchObject({ endpoint: "stream", ok: true, code: 0 });
    expect(Buffer.from(served.tracing)).toEqual(Buffer.from(attempt.tracing));
    expect(attempt.call).toMatchObject({ endpoint: "stream", attempts: 1, ok: true });
  });

  it("a streamed handler that throws: error on the server's events", async () => {
    const { client, hostPort } = await pair((s) =>
      s.registerStreamed("boom", "raw", () => {
        throw new BusyError("busy streaming");
      }),
    );
    recorder = record();
    await expect(client.callStreamed({ service: "server", scheme: "raw", arg1: "boom", hostPort })).rejects.toBeInstanceOf(BusyError);
    expect(recorder.names("server:call")).toEqual(["server:call:start", "server:call:error", "server:call:asyncStart", "server:call:asyncEnd", "server:call:end"]);
    expect((recorder.events.find((e) => e.name === "server:call:error")!.message as ServerCallMessage).code).toBe(0x03);
    expect(recorder.names("client:call")).toContain("client:call:error");
  });

  it("connections: open after the handshake on both sides and close with the same message, bytes counted", async () => {
    recorder = record();
    const { client, hostPort } = await pair((s) => s.raw.register("echo", (req) => req.body));
    await client.raw({ service: "server", endpoint: "echo", body: Buffer.from("x".repeat(100)), hostPort });
    const opened = recorder.events.filter((e) => e.name === "connection:open").map((e) => e.message as ConnectionMessage);
    expect(opened.map((c) => c.direction).sort()).toEqual(["in", "out"]);
    const out = opened.find((c) => c.direction === "out")!;
    expect(out.remoteHostPort).toBe(hostPort);
    expect(out.bytesWritten).toBeGreaterThan(100);
    await Promise.all(open.splice(0).map((c) => c.close()));
    for (let i = 0; i < 100 && recorder.names("connection:close").length < 2; i++) await new Promise((r) => setTimeout(r, 5));
    const closed = recorder.events.filter((e) => e.name === "connection:close").map((e) => e.message);
    expect(new Set(closed)).toEqual(new Set(opened));
  });
});
