import { afterEach, describe, expect, it } from "@jest/globals";
import { type CallInterceptor, setCallInterceptor } from "./call-interceptor.js";
import { BusyError } from "./errors.js";
import { TChannel } from "./tchannel.js";

const open: TChannel[] = [];
afterEach(async () => {
  setCallInterceptor(undefined);
  await Promise.all(open.splice(0).map((c) => c.close()));
});

function channel(name: string): TChannel {
  const ch = new TChannel({ name });
  open.push(ch);
  return ch;
}

async function echoServer(): Promise<string> {
  const server = channel("echo");
  server.raw.register("echo", (req) => Buffer.concat([Buffer.from("echo:"), req.body]));
  return server.listen();
}

describe("setCallInterceptor", () => {
  it("sees every call of every channel, with the channel, and next() makes the real call", async () => {
    const hostPort = await echoServer();
    const seen: string[] = [];
    setCallInterceptor(async (options, ch, next) => {
      seen.push(`${ch.name} ${options.scheme} ${options.service}::${String(options.arg1)}`);
      return next(options);
    });
    const a = channel("a");
    const b = channel("b");
    expect((await a.raw({ service: "echo", endpoint: "echo", body: Buffer.from("1"), hostPort })).body.toString()).toBe("echo:1");
    expect((await b.raw({ service: "echo", endpoint: "echo", body: Buffer.from("2"), hostPort })).body.toString()).toBe("echo:2");
    expect(seen).toEqual(["a raw echo::echo", "b raw echo::echo"]);
  });

  it("can answer without a network call, change the options, or fail the call", async () => {
    const hostPort = await echoServer();
    const client = channel("client");
    setCallInterceptor(async (options, _ch, next) => {
      if (options.arg1 === "canned") return { ok: true, code: 0, arg2: Buffer.alloc(0), arg3: Buffer.from("canned"), headers: { as: "raw" }, hostPort: "nowhere:0" };
      if (options.arg1 === "busy") throw new BusyError("no");
      return next({ ...options, arg3: Buffer.from("changed") });
    });
    const canned = await client.raw({ service: "echo", endpoint: "canned", body: Buffer.alloc(0) }); // no peer at all
    expect(canned.body.toString()).toBe("canned");
    expect(canned.transport.hostPort).toBe("nowhere:0");
    expect((await client.raw({ service: "echo", endpoint: "echo", body: Buffer.from("x"), hostPort })).body.toString()).toBe("echo:changed");
    await expect(client.raw({ service: "echo", endpoint: "busy", body: Buffer.alloc(0), hostPort })).rejects.toBeInstanceOf(BusyError);
  });

  it("turns a synchronous throw into a rejection", async () => {
    const client = channel("client");
    setCallInterceptor((() => {
      throw new BusyError("sync");
    }) as CallInterceptor);
    const promise = client.call({ service: "s", scheme: "raw", arg1: "e" });
    await expect(promise).rejects.toBeInstanceOf(BusyError);
  });

  it("returns the previous interceptor, and calls go straight through once it is removed", async () => {
    const hostPort = await echoServer();
    const client = channel("client");
    let count = 0;
    const first: CallInterceptor = async (options, _ch, next) => {
      count++;
      return next(options);
    };
    expect(setCallInterceptor(first)).toBeUndefined();
    await client.raw({ service: "echo", endpoint: "echo", body: Buffer.from("1"), hostPort });
    expect(setCallInterceptor(undefined)).toBe(first);
    await client.raw({ service: "echo", endpoint: "echo", body: Buffer.from("2"), hostPort });
    expect(count).toBe(1);
  });

  it("exposes the channel's known peers for the interceptor to record", () => {
    const ch = new TChannel({ name: "c", knownPeers: ["127.0.0.1:1", "127.0.0.1:2"] });
    open.push(ch);
    ch.addPeer("127.0.0.1:3");
    expect(ch.knownPeers).toEqual(["127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"]);
  });
});
