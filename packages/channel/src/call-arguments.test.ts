import { afterEach, describe, expect, it } from "@jest/globals";
import { InvalidArgumentError } from "./errors.js";
import type { RawCallOptions } from "./call-types.js";
import { TChannel } from "./tchannel.js";
import { type EchoPair, closeOpened, echoPair, track } from "../test/echo-pair.js";

// Wrong argument types on every public entry point (issue 15 item 2): a clear InvalidArgumentError
// at the call site, nothing sent, nothing frozen. JS callers pass numbers from JSON, strings from
// the environment, undefined from a missing field: normal input.

afterEach(closeOpened);

const echo = (): Promise<EchoPair> => echoPair();

/** `p`, or a rejection if it is still pending after 2 s (the frozen-encoder case). */
async function withinAMoment<T>(p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error("still pending after 2 s")), 2000)))]);
  } finally {
    clearTimeout(timer);
  }
}

describe("wrong argument types", () => {
  it("a scheme call rejects each bad option with one clear line, at once, and sends nothing", async () => {
    const { client, hostPort, runs } = await echo();
    const good = { service: "server", endpoint: "echo", hostPort };
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ service: 42 }, /service must be a non-empty string, got number 42/],
      [{ service: undefined }, /service must be a non-empty string, got undefined/],
      [{ service: "" }, /service must be a non-empty string/],
      [{ endpoint: 7 }, /endpoint must be a non-empty string, got number 7/],
      [{ endpoint: undefined }, /endpoint must be a non-empty string/],
      [{ body: 12345 }, /raw body or headers must be a Buffer, a Uint8Array or a string, got number 12345/],
      [{ body: { a: 1 } }, /got an object \(Object\)/],
      [{ headers: 5 }, /raw body or headers/],
      [{ timeout: 2 ** 31 }, /timeout must be a number of milliseconds above 0 and at most 2147483647, got number 2147483648/],
      [{ timeout: "5000" }, /timeout must be .*got string "5000"/],
      [{ timeout: 0 }, /timeout must be/],
      [{ timeout: Number.NaN }, /timeout must be/],
      [{ timeoutPerAttempt: -1 }, /timeoutPerAttempt must be/],
      [{ retryOn: "zz" }, /retryOn must be one of "c", "t", "ct", "tc", "n", got string "zz"/],
      [{ retryLimit: 1.5 }, /retryLimit must be an integer/],
      [{ shardKey: 5 }, /shardKey must be a string, got number 5/],
      [{ callerName: { n: 1 } }, /callerName must be a string/],
      [{ routingDelegate: 1 }, /routingDelegate must be a string/],
      [{ hostPort: 1234 }, /hostPort must be a string/],
      [{ hostPort: "nonsense" }, /hostPort must be "host:port", got "nonsense"/],
      [{ checksumType: 9 }, /checksumType must be a ChecksumType/],
      [{ signal: "abort" }, /signal must be an AbortSignal/],
      [{ transportHeaders: { k: 5 } }, /transport header "k" must be a string, got number 5/],
      [{ transportHeaders: "k=v" }, /transportHeaders must be an object/],
    ];
    for (const [bad, message] of cases) {
      const err = await withinAMoment(client.raw({ ...good, ...bad } as never).catch((e: unknown) => e));
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).not.toContain("\n");
    }
    await expect(client.raw(undefined as never)).rejects.toThrow(/call options must be an object, got undefined/);
    expect(runs()).toBe(0);
    expect((await client.raw(good)).status).toBe(0);
  });

  it("the low-level call() rejects bad args the same way", async () => {
    const { client, hostPort } = await echo();
    const good: RawCallOptions = { service: "server", scheme: "raw", arg1: "echo", hostPort };
    for (const bad of [{ arg1: 5 }, { arg1: "" }, { arg2: "h" }, { arg3: 7 }, { scheme: undefined }, { arg3: [1, 2] }]) {
      await expect(withinAMoment(client.call({ ...good, ...bad } as never))).rejects.toBeInstanceOf(InvalidArgumentError);
    }
  });

  it("callStreamed and registerStreamed check theirs too", async () => {
    const { client, hostPort } = await echo();
    for (const bad of [{ service: 1 }, { arg1: 2 }, { arg3: 42 }, { arg2: { a: 1 } }, { timeout: "1" }]) {
      await expect(withinAMoment(client.callStreamed({ service: "server", scheme: "raw", arg1: "echo", hostPort, ...bad } as never))).rejects.toBeInstanceOf(InvalidArgumentError);
    }
    expect(() => client.registerStreamed(3 as never, "raw", () => ({ ok: true }))).toThrow(InvalidArgumentError);
  });

  it("register, setFallbackHandler, addPeer, setRouters, listen, ping and scheme check theirs", async () => {
    const ch = new TChannel({ name: "x" });
    track(ch);
    const bad: Array<[() => unknown, RegExp]> = [
      [() => ch.register(5 as never, "raw", () => ({ ok: true, arg2: Buffer.alloc(0), arg3: Buffer.alloc(0) })), /endpoint must be a non-empty string, got number 5/],
      [() => ch.register("e", "raw", "handler" as never), /handler must be a function/],
      [() => ch.raw.register("e", (r) => r.body, { service: 3 as never }), /service must be a non-empty string/],
      [() => ch.raw.register("e", "not a function" as never), /handler must be a function/],
      [() => ch.raw.register("e", (r) => r.body, { maxRequestSize: "1mb" as never }), /maxRequestSize must be a positive integer/],
      [() => ch.setFallbackHandler(42 as never), /must be a function or undefined/],
      [() => ch.addPeer(8080 as never), /addPeer\(hostPort\) must be a "host:port" string, got number 8080/],
      [() => ch.addPeer("localhost"), /must be "host:port"/],
      [() => ch.setRouters("127.0.0.1:1" as never), /expected an array/],
      [() => ch.setRouters([1] as never), /each router must be a "host:port" string/],
      [() => ch.scheme({ name: "x" } as never), /expected an ArgScheme/],
    ];
    for (const [f, message] of bad) {
      let err: unknown;
      try {
        f();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect((err as Error).message).toMatch(message);
    }
    await expect(ch.listen("8080" as never)).rejects.toThrow(/port must be an integer from 0 to 65535, got string "8080"/);
    await expect(ch.listen(70000)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(ch.ping(5 as never)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(ch.ping("127.0.0.1:1", "1s" as never)).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it("new TChannel with bad options throws one readable line naming each bad option", () => {
    let err: unknown;
    try {
      new TChannel({ name: 5, timeout: "5000", knownPeers: ["nope"] } as never);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidArgumentError);
    const message = (err as Error).message;
    expect(message).not.toContain("\n");
    expect(message).toMatch(/^invalid TChannel options: /);
    expect(message).toMatch(/name: /);
    expect(message).toMatch(/timeout: /);
    expect(message).toMatch(/knownPeers\.0: expected host:port/);
    expect(() => new TChannel(undefined as never)).toThrow(/options must be an object, got undefined/);
  });
});
