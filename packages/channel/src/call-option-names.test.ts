import { afterEach, describe, expect, it } from "@jest/globals";
import { ChecksumType } from "@tchannel/frame";
import { RAW_CALL_OPTION_NAMES, SCHEME_CALL_OPTION_NAMES, STREAMED_CALL_OPTION_NAMES, unknownRawCallOption, unknownSchemeCallOption, unknownStreamedCallOption } from "./call-option-names.js";
import type { RawCallOptions } from "./call-types.js";
import { InvalidArgumentError } from "./errors.js";
import { rawScheme } from "./raw-scheme.js";
import type { SchemeCallOptions } from "./scheme.js";
import type { StreamedCallOptions } from "./streamed-types.js";
import { type EchoPair, closeOpened, echoPair, track } from "../test/echo-pair.js";

// Per-call options are strict at every async entry point: a misspelt key is an
// InvalidArgumentError naming it and the nearest known one (a rejected promise, as for a value of
// the wrong type), nothing is sent; every key the option type declares is accepted.

afterEach(closeOpened);

const echo = (): Promise<EchoPair> => echoPair({ streamed: true });

/** Every option CallOptions declares, with a value the echo server answers (Required: a new option must be added here). */
function everyCallOption(hostPort: string): Required<Omit<RawCallOptions, "scheme" | "arg1" | "arg2" | "arg3">> {
  return {
    service: "server",
    timeout: 5000,
    timeoutPerAttempt: 4000,
    retryOn: "c",
    retryLimit: 1,
    hostPort,
    shardKey: "shard",
    routingDelegate: "server",
    callerName: "strict-test",
    checksumType: ChecksumType.Crc32C,
    signal: new AbortController().signal,
    transportHeaders: { "x-test": "1" },
  };
}

async function rejection(p: Promise<unknown>): Promise<InvalidArgumentError> {
  const err = await p.then(
    () => new Error("resolved"),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InvalidArgumentError);
  return err as InvalidArgumentError;
}

describe("strict per-call options", () => {
  it("call() rejects a misspelt key with the nearest option, as a rejected promise, and sends nothing", async () => {
    const { client, hostPort, runs } = await echo();
    const good: RawCallOptions = { service: "server", scheme: "raw", arg1: "echo", hostPort };
    let returned: Promise<unknown> | undefined;
    expect(() => (returned = client.call({ ...good, timout: 100 } as never))).not.toThrow();
    const err = await rejection(returned!);
    expect(err.message).toBe('invalid call options: unknown option "timout" (did you mean "timeout"?)');
    expect(err.service).toBe("server");
    expect(err.endpoint).toBe("echo");
    expect((await rejection(client.call({ ...good, retyrOn: "n" } as never))).message).toMatch(/unknown option "retyrOn" \(did you mean "retryOn"\?\)/);
    expect((await rejection(client.call({ ...good, hostport: hostPort } as never))).message).toMatch(/unknown option "hostport" \(did you mean "hostPort"\?\)/);
    // A scheme client's keys are not the low-level call's.
    expect((await rejection(client.call({ ...good, endpoint: "echo" } as never))).message).toMatch(/unknown option "endpoint"/);
    // Every unknown key is named, each with its own suggestion (or none when nothing is close).
    expect((await rejection(client.call({ ...good, timout: 1, zzzzzzzz: 2 } as never))).message).toBe(
      'invalid call options: unknown option "timout" (did you mean "timeout"?); unknown option "zzzzzzzz"',
    );
    expect(runs()).toBe(0);
  });

  it("call() accepts every RawCallOptions key", async () => {
    const { client, hostPort } = await echo();
    const options: Required<RawCallOptions> = { ...everyCallOption(hostPort), scheme: "raw", arg1: "echo", arg2: Buffer.from("h"), arg3: Buffer.from("b") };
    expect(Object.keys(options).sort()).toEqual([...RAW_CALL_OPTION_NAMES].sort());
    const res = await client.call(options);
    expect(res.ok).toBe(true);
    expect(res.arg3.toString()).toBe("b");
  });

  it("a scheme client (raw, scheme()) rejects a misspelt key and accepts every SchemeCallOptions key", async () => {
    const { client, hostPort, runs } = await echo();
    const good = { service: "server", endpoint: "echo", hostPort, body: "x" };
    const custom = client.scheme(rawScheme);
    for (const scheme of [client.raw, custom]) {
      const err = await rejection(scheme({ ...good, timout: 100 } as never));
      expect(err.message).toBe('invalid call options: unknown option "timout" (did you mean "timeout"?)');
      expect(err.endpoint).toBe("echo");
      expect((await rejection(scheme({ ...good, header: "h" } as never))).message).toMatch(/unknown option "header" \(did you mean "headers"\?\)/);
      // The low-level call's keys are not a scheme client's.
      expect((await rejection(scheme({ ...good, arg3: Buffer.from("x") } as never))).message).toMatch(/unknown option "arg3"/);
    }
    expect(runs()).toBe(0);
    const options: Required<SchemeCallOptions<Buffer, Buffer>> = { ...everyCallOption(hostPort), endpoint: "echo", body: Buffer.from("b"), headers: Buffer.from("h") };
    expect(Object.keys(options).sort()).toEqual([...SCHEME_CALL_OPTION_NAMES].sort());
    expect((await client.raw(options)).body.toString()).toBe("b");
    expect((await custom(options)).body.toString()).toBe("b");
  });

  it("callStreamed rejects a misspelt key (and the retry options it does not take) and accepts every StreamedCallOptions key", async () => {
    const { client, hostPort, runs } = await echo();
    const good: StreamedCallOptions = { service: "server", scheme: "raw", arg1: "echo-streamed", hostPort };
    expect((await rejection(client.callStreamed({ ...good, timout: 100 } as never))).message).toBe('invalid call options: unknown option "timout" (did you mean "timeout"?)');
    expect((await rejection(client.callStreamed({ ...good, retryLimit: 2 } as never))).message).toMatch(/retryLimit does not apply to callStreamed \(a streamed call is never retried/);
    expect(runs()).toBe(0);
    const { retryOn: _on, retryLimit: _limit, ...common } = everyCallOption(hostPort);
    const options: Required<StreamedCallOptions> = { ...common, scheme: "raw", arg1: "echo-streamed", arg2: "h", arg3: ["b"] };
    expect(Object.keys(options).sort()).toEqual([...STREAMED_CALL_OPTION_NAMES].sort());
    const res = await client.callStreamed(options);
    expect(res.ok).toBe(true);
    expect((await res.arg3.bytes()).toString()).toBe("b");
  });

  it("a JS caller's extra key is rejected even when undefined or inherited; known inherited keys are accepted", async () => {
    const { client, hostPort, runs } = await echo();
    // A plain object built at run time, as a JS caller (or JSON) would: no types to catch the extra key.
    const fromJson = JSON.parse(`{"service":"server","endpoint":"echo","hostPort":${JSON.stringify(hostPort)},"ttl":100}`) as never;
    expect((await rejection(client.raw(fromJson))).message).toBe('invalid call options: unknown option "ttl"');
    const undefinedValue: Record<string, unknown> = { service: "server", endpoint: "echo", hostPort, timout: undefined };
    expect((await rejection(client.raw(undefinedValue as never))).message).toMatch(/unknown option "timout" \(did you mean "timeout"\?\)/);
    // The call reads inherited keys (options.timeout walks the prototype), so they are checked too.
    const inheritsMisspelt = Object.assign(Object.create({ timout: 100 }) as object, { service: "server", endpoint: "echo", hostPort });
    expect((await rejection(client.raw(inheritsMisspelt as never))).message).toMatch(/unknown option "timout"/);
    expect(runs()).toBe(0);
    const inheritsKnown = Object.assign(Object.create({ timeout: 5000 }) as object, { service: "server", endpoint: "echo", hostPort, body: "b" });
    expect((await client.raw(inheritsKnown as never)).body.toString()).toBe("b");
    // Symbol keys are not options (for...in skips them): accepted.
    expect((await client.raw({ service: "server", endpoint: "echo", hostPort, body: "b", [Symbol("x")]: 1 } as never)).body.toString()).toBe("b");
  });

  it("each check accepts exactly its entry's keys (the lists of the messages and the switches agree)", () => {
    const checks: Array<[(o: object) => string | undefined, readonly string[]]> = [
      [unknownRawCallOption, RAW_CALL_OPTION_NAMES],
      [unknownSchemeCallOption, SCHEME_CALL_OPTION_NAMES],
      [unknownStreamedCallOption, STREAMED_CALL_OPTION_NAMES],
    ];
    const everyName = new Set([...RAW_CALL_OPTION_NAMES, ...SCHEME_CALL_OPTION_NAMES, "Timeout", "timeout ", "constructor", "toString", "__proto__", ""]);
    for (const [check, names] of checks) {
      expect(check(Object.fromEntries(names.map((n) => [n, 1])))).toBeUndefined();
      for (const name of everyName) if (!names.includes(name)) expect(check({ service: "s", [name]: 1 })).toBe(name);
    }
  });
});
