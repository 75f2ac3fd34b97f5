import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import {
  BadRequestError,
  InvalidArgumentError,
  BusyError,
  CancelledError,
  type CallResult,
  NetworkError,
  NoAvailablePeerError,
  errorFromPeer,
  type RawCallOptions,
  Response,
  TChannel,
  TimeoutError,
  UnexpectedError,
  setCallInterceptor,
  setSyncCallInterceptor,
  syncCallInterceptor,
} from "@tchannel/channel";
import { jsonClient } from "@tchannel/json";
import { loadThriftSource, thriftClient } from "@tchannel/thrift";
import { CannotRecordInteractionsError, type Cassette, insertCassette, parseCassette, useCassette, withCassette } from "./index.js";

const IDL = `
exception NotFoundError {
  1: required string key
}
service KeyValue {
  string getValue(1: string key) throws (1: NotFoundError notFound)
  void setValue(1: string key, 2: string value)
}
`;

const dir = mkdtempSync(join(tmpdir(), "vcr-test-"));
let n = 0;
/** A fresh cassette path per test (not created). */
function cassettePath(): string {
  return join(dir, `cassette-${++n}.yaml`);
}

const open: TChannel[] = [];
function track<T extends TChannel>(ch: T): T {
  open.push(ch);
  return ch;
}
afterEach(async () => {
  setCallInterceptor(undefined);
  setSyncCallInterceptor(undefined);
  await Promise.all(open.splice(0).map((c) => c.close()));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The service the tests record: counts the calls it really gets. */
async function startServer() {
  const server = track(new TChannel({ name: "kv" }));
  const calls: string[] = [];
  server.raw.register("echo", (req) => {
    calls.push(`echo:${req.body.toString()}`);
    return Buffer.concat([Buffer.from("echo:"), req.body]);
  });
  const json = jsonClient(server);
  json.register("add", (req) => {
    const { a, b } = req.body as { a: number; b: number };
    calls.push(`add:${a}+${b}`);
    return new Response({ sum: a + b }, { served: "yes" });
  });
  json.register("fail", () => {
    calls.push("fail");
    return new Response({ type: "bad", message: "nope" }, {}, { status: 1 });
  });
  server.raw.register("busy", () => {
    calls.push("busy");
    throw new BusyError("too busy right now");
  });
  server.raw.register("remote-timeout", () => {
    calls.push("remote-timeout");
    throw new TimeoutError("the backend timed out");
  });
  server.raw.register("slow", async () => {
    calls.push("slow");
    await new Promise((r) => setTimeout(r, 300));
    return Buffer.alloc(0);
  });
  const kv = loadThriftSource(IDL, { service: "kv" });
  const values = new Map<string, string>([["foo", "bar"]]);
  const thrift = thriftClient(server);
  thrift.register(kv.KeyValue, "getValue", (req) => {
    calls.push(`getValue:${req.body.key}`);
    const value = values.get(req.body.key);
    if (value === undefined) throw new kv.NotFoundError({ key: req.body.key });
    return value;
  });
  thrift.register(kv.KeyValue, "setValue", (req) => {
    calls.push(`setValue:${req.body.key}`);
    values.set(req.body.key, req.body.value);
  });
  const hostPort = await server.listen();
  return { server, hostPort, calls, kv };
}

function client(name = "client"): TChannel {
  return track(new TChannel({ name }));
}

async function echo(ch: TChannel, hostPort: string | undefined, body: string): Promise<string> {
  return (await ch.raw({ service: "kv", endpoint: "echo", body: Buffer.from(body), ...(hostPort ? { hostPort } : {}) })).body.toString();
}

describe("record modes (tchannel-python's RecordMode)", () => {
  it("once, missing cassette: records every call and writes the file on eject", async () => {
    const { hostPort, calls } = await startServer();
    const path = cassettePath();
    const ch = client();
    await useCassette(path, async (cassette) => {
      expect(cassette.existed).toBe(false);
      expect(cassette.recordMode).toBe("once");
      expect(await echo(ch, hostPort, "a")).toBe("echo:a");
      expect(await echo(ch, hostPort, "a")).toBe("echo:a"); // recorded ones are not replayed in the same session
      expect(cassette.recordCount).toBe(2);
      expect(existsSync(path)).toBe(false); // saved on eject only
    });
    expect(calls).toEqual(["echo:a", "echo:a"]);
    expect(parseCassette(readFileSync(path, "utf8"), path)).toHaveLength(2);
  });

  it("once, existing cassette: replays, and refuses a new call with CannotRecordInteractionsError", async () => {
    const { hostPort, calls } = await startServer();
    const path = cassettePath();
    const ch = client();
    await useCassette(path, async () => void (await echo(ch, hostPort, "a")));
    await useCassette(path, async (cassette) => {
      expect(cassette.existed).toBe(true);
      expect(cassette.writeProtected).toBe(true);
      expect(await echo(ch, hostPort, "a")).toBe("echo:a");
      expect(cassette.playCount).toBe(1);
      await expect(echo(ch, hostPort, "b")).rejects.toBeInstanceOf(CannotRecordInteractionsError);
    });
    expect(calls).toEqual(["echo:a"]);
  });

  it("new_episodes: replays what matches, records the rest, and keeps both in the file", async () => {
    const { hostPort, calls } = await startServer();
    const path = cassettePath();
    const ch = client();
    await useCassette(path, async () => void (await echo(ch, hostPort, "a")));
    await useCassette(path, { recordMode: "new_episodes" }, async (cassette) => {
      expect(await echo(ch, hostPort, "a")).toBe("echo:a");
      expect(await echo(ch, hostPort, "b")).toBe("echo:b");
      expect(cassette.playCount).toBe(1);
      expect(cassette.recordCount).toBe(1);
    });
    expect(calls).toEqual(["echo:a", "echo:b"]);
    const saved = parseCassette(readFileSync(path, "utf8"), path);
    expect(saved.map((i) => i.request.body.toString())).toEqual(["a", "b"]);
  });

  it("new_episodes, missing cassette: records", async () => {
    const { hostPort, calls } = await startServer();
    const path = cassettePath();
    await useCassette(path, { recordMode: "new_episodes" }, async () => void (await echo(client(), hostPort, "a")));
    expect(calls).toEqual(["echo:a"]);
    expect(existsSync(path)).toBe(true);
  });

  it("none, existing cassette: replays and refuses new calls; the file is left as it was", async () => {
    const { hostPort, calls } = await startServer();
    const path = cassettePath();
    const ch = client();
    await useCassette(path, async () => {
      await echo(ch, hostPort, "a");
      await echo(ch, hostPort, "unplayed");
    });
    const before = readFileSync(path, "utf8");
    await useCassette(path, { recordMode: "none" }, async () => {
      expect(await echo(ch, hostPort, "a")).toBe("echo:a");
      await expect(echo(ch, hostPort, "b")).rejects.toBeInstanceOf(CannotRecordInteractionsError);
    });
    expect(calls).toEqual(["echo:a", "echo:unplayed"]);
    expect(readFileSync(path, "utf8")).toBe(before);
  });

  it("none, missing cassette: every call fails, nothing is written", async () => {
    const { hostPort, calls } = await startServer();
    const path = cassettePath();
    await useCassette(path, { recordMode: "none" }, async (cassette) => {
      const err = await echo(client(), hostPort, "a").catch((e) => e);
      expect(err).toBeInstanceOf(CannotRecordInteractionsError);
      expect(err.message).toContain('record mode "none" records nothing');
      expect(err.message).toContain("the cassette has no recorded interactions");
      expect(cassette.recordCount).toBe(0);
    });
    expect(calls).toEqual([]);
    expect(existsSync(path)).toBe(false);
  });

  it("all, existing cassette: replays nothing, records everything, forgets the old interactions", async () => {
    const { hostPort, calls } = await startServer();
    const path = cassettePath();
    const ch = client();
    await useCassette(path, async () => {
      await echo(ch, hostPort, "old");
      await echo(ch, hostPort, "a");
    });
    await useCassette(path, { recordMode: "all" }, async (cassette) => {
      expect(await echo(ch, hostPort, "a")).toBe("echo:a");
      expect(cassette.playCount).toBe(0);
      expect(cassette.recordCount).toBe(1);
    });
    expect(calls).toEqual(["echo:old", "echo:a", "echo:a"]);
    const saved = parseCassette(readFileSync(path, "utf8"), path);
    expect(saved.map((i) => i.request.body.toString())).toEqual(["a"]);
  });

  it("all, missing cassette: records", async () => {
    const { hostPort, calls } = await startServer();
    const path = cassettePath();
    await useCassette(path, { recordMode: "all" }, async () => void (await echo(client(), hostPort, "a")));
    expect(calls).toEqual(["echo:a"]);
    expect(parseCassette(readFileSync(path, "utf8"), path)).toHaveLength(1);
  });

  it("rejects an unknown record mode and names an unknown matcher", () => {
    expect(() => insertCassette(cassettePath(), { recordMode: "sometimes" })).toThrow(InvalidArgumentError);
    expect(() => insertCassette(cassettePath(), { recordMode: "sometimes" })).toThrow('"sometimes" is not a known record mode');
    expect(() => insertCassette(cassettePath(), { matchOn: ["serviceName", "colour" as never] })).toThrow(InvalidArgumentError);
    expect(() => insertCassette(cassettePath(), { matchOn: ["serviceName", "colour" as never] })).toThrow('"colour" is not a known matcher');
    expect(() => insertCassette(cassettePath(), { recordErrors: "no" as never })).toThrow(/invalid cassette options: recordErrors: .*\(got "no"\)/);
    expect(() => insertCassette(cassettePath(), { recordMod: "none" } as never)).toThrow(/unknown option "recordMod" \(did you mean "recordMode"\?\)/);
    expect(() => insertCassette(cassettePath(), { recordMod: "none" } as never)).toThrow(InvalidArgumentError);
  });

  it("takes record mode names in any case, as tchannel-python does", async () => {
    const { hostPort } = await startServer();
    const path = cassettePath();
    const ch = client();
    await useCassette(path, { recordMode: "ALL" }, async (cassette) => {
      expect(cassette.recordMode).toBe("all");
      await echo(ch, hostPort, "x");
    });
    for (const mode of ["NONE", "None", "New_Episodes", "ONCE"]) {
      await useCassette(path, { recordMode: mode }, async () => expect(await echo(ch, hostPort, "x")).toBe("echo:x"));
    }
  });

  it("saves interactions in tchannel-python's order: replayed, unplayed, then new", async () => {
    const { hostPort } = await startServer();
    const path = cassettePath();
    const ch = client();
    await useCassette(path, async () => {
      await echo(ch, hostPort, "1");
      await echo(ch, hostPort, "2");
    });
    await useCassette(path, { recordMode: "new_episodes" }, async () => {
      await echo(ch, hostPort, "2");
      await echo(ch, hostPort, "3");
    });
    const saved = parseCassette(readFileSync(path, "utf8"), path);
    expect(saved.map((i) => i.request.body.toString())).toEqual(["2", "1", "3"]);
  });
});

describe("matching", () => {
  it("ignores hostPort by default, so a cassette replays against another port", async () => {
    const first = await startServer();
    const path = cassettePath();
    await useCassette(path, async () => void (await echo(client(), first.hostPort, "a")));
    await useCassette(path, async () => {
      expect(await echo(client(), "127.0.0.1:1", "a")).toBe("echo:a");
    });
  });

  it("matches service, endpoint, headers, body and arg scheme by default", async () => {
    const { hostPort } = await startServer();
    const path = cassettePath();
    const ch = client();
    const json = jsonClient(ch);
    await useCassette(path, async () => {
      await json({ service: "kv", endpoint: "add", body: { a: 1, b: 2 }, headers: { h: "1" }, hostPort });
    });
    await useCassette(path, { recordMode: "none" }, async () => {
      const tries = [
        json({ service: "kv", endpoint: "add", body: { a: 1, b: 3 }, headers: { h: "1" }, hostPort }), // body
        json({ service: "kv", endpoint: "add", body: { a: 1, b: 2 }, headers: { h: "2" }, hostPort }), // headers
        json({ service: "kv2", endpoint: "add", body: { a: 1, b: 2 }, headers: { h: "1" }, hostPort }), // service
        json({ service: "kv", endpoint: "sub", body: { a: 1, b: 2 }, headers: { h: "1" }, hostPort }), // endpoint
        // The json args as recorded (json.dumps spelling), sent as raw.
        ch.call({ service: "kv", scheme: "raw", arg1: "add", arg2: Buffer.from('{"h": "1"}'), arg3: Buffer.from('{"a": 1, "b": 2}'), hostPort }), // scheme
      ];
      const errors = await Promise.all(tries.map((p) => p.catch((e) => e)));
      expect(errors.map((e) => e instanceof CannotRecordInteractionsError && e.closest?.differsIn)).toEqual([["body"], ["headers"], ["serviceName"], ["endpoint"], ["argScheme"]]);
      const res = await json({ service: "kv", endpoint: "add", body: { a: 1, b: 2 }, headers: { h: "1" }, hostPort: "10.0.0.1:9" });
      expect(res.body).toEqual({ sum: 3 });
      expect({ ...res.headers }).toEqual({ served: "yes" });
      expect(res.transport.scheme).toBe("json");
    });
  });

  it("the error shows the call and the closest recorded interaction", async () => {
    const { hostPort } = await startServer();
    const path = cassettePath();
    const ch = client();
    await useCassette(path, async () => {
      await echo(ch, hostPort, "hello");
      await ch.raw({ service: "other", endpoint: "x", body: Buffer.from("zzz"), hostPort }).catch(() => undefined);
    });
    const err = await useCassette(path, () => echo(ch, hostPort, "hellp").catch((e) => e));
    expect(err).toBeInstanceOf(CannotRecordInteractionsError);
    expect(err.message).toContain('record mode "once" records only into a new cassette');
    expect(err.message).toMatch(/the call:\n.*serviceName: "kv"\n.*endpoint: "echo"\n.*argScheme: raw\n.*headers: ""\n.*body: "hellp"/);
    expect(err.message).toMatch(/the closest recorded interaction \(#1 in the file\) differs in body:\n(.|\n)*body: "hello"/);
    expect(err.call.body.toString()).toBe("hellp");
    expect(err.closest.request.body.toString()).toBe("hello");
  });

  it("replays each interaction once, identical calls in recorded order, and says so when they run out", async () => {
    const { server, hostPort } = await startServer();
    let i = 0;
    server.raw.register("counter", () => Buffer.from(String(++i)));
    const path = cassettePath();
    const ch = client();
    const count = async () => (await ch.raw({ service: "kv", endpoint: "counter", body: Buffer.alloc(0), hostPort })).body.toString();
    await useCassette(path, async () => {
      expect([await count(), await count()]).toEqual(["1", "2"]);
    });
    await useCassette(path, async () => {
      expect([await count(), await count()]).toEqual(["1", "2"]);
      const err = await count().catch((e) => e);
      expect(err).toBeInstanceOf(CannotRecordInteractionsError);
      expect(err.message).toContain("matches, but was replayed already");
    });
    expect(i).toBe(2);
  });

  it("takes other matchers: hostPort, transportHeaders, or a function", async () => {
    const { hostPort } = await startServer();
    const path = cassettePath();
    const ch = client();
    await useCassette(path, async () => {
      await ch.raw({ service: "kv", endpoint: "echo", body: Buffer.from("a"), hostPort, shardKey: "s1" });
    });
    await useCassette(path, { matchOn: ["endpoint", "hostPort"], recordMode: "none" }, async () => {
      await expect(echo(ch, "127.0.0.1:1", "a")).rejects.toThrow(/differs in hostPort/);
      expect(await echo(ch, hostPort, "other body")).toBe("echo:a"); // body not matched
    });
    await useCassette(path, { matchOn: ["transportHeaders"], recordMode: "none" }, async () => {
      await expect(echo(ch, hostPort, "a")).rejects.toThrow(/differs in transportHeaders/);
      const res = await ch.raw({ service: "kv", endpoint: "echo", body: Buffer.from("a"), hostPort, shardKey: "s1" });
      expect(res.body.toString()).toBe("echo:a");
    });
    const sameLength = function sameLength(call: { body: Buffer }, recorded: { body: Buffer }) {
      return call.body.length === recorded.body.length;
    };
    await useCassette(path, { matchOn: ["endpoint", sameLength], recordMode: "none" }, async () => {
      await expect(echo(ch, hostPort, "ab")).rejects.toThrow(/differs in sameLength/);
      expect(await echo(ch, hostPort, "z")).toBe("echo:a");
    });
  });
});

describe("errors", () => {
  it("records the peer's error frames and replays them as the same typed errors, without the server", async () => {
    const { server, hostPort, calls } = await startServer();
    const path = cassettePath();
    const ch = client();
    const scenario = async () => {
      const busy = await ch.raw({ service: "kv", endpoint: "busy", body: Buffer.alloc(0), hostPort, retryLimit: 0 }).catch((e) => e);
      const missing = await ch.raw({ service: "kv", endpoint: "nope", body: Buffer.alloc(0), hostPort }).catch((e) => e);
      const timeout = await ch.raw({ service: "kv", endpoint: "remote-timeout", body: Buffer.alloc(0), hostPort, retryLimit: 0 }).catch((e) => e);
      return [busy, missing, timeout];
    };
    const recorded = await useCassette(path, scenario);
    expect(recorded.map((e) => e.constructor)).toEqual([BusyError, BadRequestError, TimeoutError]);
    expect(recorded.map((e) => e.fromPeer)).toEqual([true, true, true]);
    await server.close();
    const callsBefore = calls.length;
    const replayed = await useCassette(path, scenario);
    expect(calls.length).toBe(callsBefore);
    expect(replayed.map((e) => e.constructor)).toEqual([BusyError, BadRequestError, TimeoutError]);
    expect(replayed.map((e) => e.code)).toEqual(["TCHANNEL_BUSY", "TCHANNEL_BAD_REQUEST", "TCHANNEL_TIMEOUT"]);
    expect(replayed.map((e) => e.message)).toEqual(recorded.map((e) => e.message));
    expect(replayed.map((e) => e.fromPeer)).toEqual([true, true, true]);
    expect(replayed[0].message).toContain("too busy right now");
    expect(replayed[0].service).toBe("kv");
    expect(replayed[0].endpoint).toBe("busy");
    const saved = parseCassette(readFileSync(path, "utf8"), path);
    expect(saved.map((i) => [i.response.code, i.response.error?.code, i.response.error?.type])).toEqual([
      [1, 3, "BusyError"],
      [1, 6, "BadRequestError"],
      [1, 1, "TimeoutError"],
    ]);
  });

  it("recordErrors: false leaves the peer's error frames out (a cassette for tchannel-python)", async () => {
    const { hostPort } = await startServer();
    const path = cassettePath();
    const ch = client();
    await useCassette(path, { recordErrors: false }, async (cassette) => {
      await expect(ch.raw({ service: "kv", endpoint: "busy", body: Buffer.alloc(0), hostPort, retryLimit: 0 })).rejects.toThrow(BusyError);
      expect(await echo(ch, hostPort, "kept")).toBe("echo:kept");
      expect(cassette.recordCount).toBe(1);
    });
    const saved = parseCassette(readFileSync(path, "utf8"), path);
    expect(saved.map((i) => i.request.endpoint)).toEqual(["echo"]);
    expect(readFileSync(path, "utf8")).not.toContain("error:");
  });

  describe("never records a failure that did not come from the peer", () => {
    /** Runs `fail` (which must reject with `expected`) in a recording cassette: nothing may be saved. */
    async function notRecorded(fail: (ch: TChannel) => Promise<unknown>, expected: new (...args: never[]) => Error, message: RegExp): Promise<void> {
      const path = cassettePath();
      const ch = client();
      await useCassette(path, { recordMode: "new_episodes" }, async (cassette) => {
        const err = await fail(ch).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(expected);
        expect((err as Error).message).toMatch(message);
        expect((err as { fromPeer?: boolean }).fromPeer).toBe(false);
        expect(cassette.recordCount).toBe(0);
      });
      expect(existsSync(path)).toBe(false);
    }

    it("a timeout measured here (the server is slow, not failing)", async () => {
      const { hostPort } = await startServer();
      await notRecorded((ch) => ch.raw({ service: "kv", endpoint: "slow", body: Buffer.alloc(0), hostPort, timeout: 50, retryLimit: 0 }), TimeoutError, /timed out/);
    });

    it("a refused connection (ECONNREFUSED: the server is down)", async () => {
      const { server, hostPort } = await startServer();
      await server.close();
      await notRecorded((ch) => ch.raw({ service: "kv", endpoint: "echo", body: Buffer.alloc(0), hostPort, retryLimit: 0 }), NetworkError, /ECONNREFUSED|could not connect/);
    });

    it("no peer to call", async () => {
      await notRecorded((ch) => ch.raw({ service: "kv", endpoint: "echo", body: Buffer.alloc(0) }), NoAvailablePeerError, /no peer available/);
    });

    it("the caller's own cancel", async () => {
      const { hostPort } = await startServer();
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 20);
      await notRecorded((ch) => ch.raw({ service: "kv", endpoint: "slow", body: Buffer.alloc(0), hostPort, signal: controller.signal }), CancelledError, /cancelled/);
    });

    it("and the next run makes the call again: with the server back, the cassette records its answer", async () => {
      const path = cassettePath();
      const ch = client();
      const { server, hostPort } = await startServer();
      await useCassette(path, async () => {
        await expect(ch.raw({ service: "kv", endpoint: "slow", body: Buffer.alloc(0), hostPort, timeout: 50, retryLimit: 0 })).rejects.toThrow(TimeoutError);
      });
      await useCassette(path, async () => {
        expect((await ch.raw({ service: "kv", endpoint: "slow", body: Buffer.alloc(0), hostPort, timeout: 5_000 })).body.length).toBe(0);
      });
      await server.close();
      await useCassette(path, { recordMode: "none" }, async () => {
        expect((await ch.raw({ service: "kv", endpoint: "slow", body: Buffer.alloc(0), hostPort, timeout: 50 })).ok).toBe(true);
      });
    });
  });

  it("json application errors (ok: false) are responses with code 1", async () => {
    const { server, hostPort } = await startServer();
    const path = cassettePath();
    const json = jsonClient(client());
    const first = await useCassette(path, () => json({ service: "kv", endpoint: "fail", body: {}, hostPort }));
    expect(first.status).toBe(1);
    await server.close();
    const again = await useCassette(path, () => json({ service: "kv", endpoint: "fail", body: {}, hostPort }));
    expect(again.status).toBe(1);
    expect(again.ok).toBe(false);
    expect(again.body).toEqual({ type: "bad", message: "nope" });
    const saved = parseCassette(readFileSync(path, "utf8"), path);
    expect(saved[0]!.response.code).toBe(1);
    expect(saved[0]!.response.error).toBeUndefined();
  });

  it("thrift: a result and a declared IDL exception replay, the exception as an instance of its class", async () => {
    const { server, hostPort } = await startServer();
    const path = cassettePath();
    const kv = loadThriftSource(IDL, { service: "kv", hostPort });
    const ch = client();
    const thrift = thriftClient(ch);
    const run = async () => {
      const value = (await thrift(kv.KeyValue.getValue({ key: "foo" }))).body;
      const err = await thrift(kv.KeyValue.getValue({ key: "missing" })).catch((e) => e);
      await thrift(kv.KeyValue.setValue({ key: "k", value: "v" }));
      return { value, err };
    };
    const recorded = await useCassette(path, run);
    expect(recorded.value).toBe("bar");
    expect(recorded.err).toBeInstanceOf(kv.NotFoundError);
    await server.close();
    const replayed = await useCassette(path, { recordMode: "none" }, run);
    expect(replayed.value).toBe("bar");
    expect(replayed.err).toBeInstanceOf(kv.NotFoundError);
    expect(replayed.err.key).toBe("missing");
    const saved = parseCassette(readFileSync(path, "utf8"), path);
    expect(saved.map((i) => [i.request.endpoint, i.request.argScheme, i.response.code])).toEqual([
      ["KeyValue::getValue", "thrift", 0],
      ["KeyValue::getValue", "thrift", 1],
      ["KeyValue::setValue", "thrift", 0],
    ]);
    // Thrift bodies are bytes: written as !!binary, as PyYAML writes bytes.
    expect(readFileSync(path, "utf8")).toContain("body: !!binary");
  });
});

describe("round trip: record, stop the server, replay", () => {
  it("replays raw, json and thrift calls of several channels with the real server closed", async () => {
    const { server, hostPort, calls } = await startServer();
    const path = cassettePath();
    const kv = loadThriftSource(IDL, { service: "kv", hostPort });
    const scenario = async () => {
      const a = client("a");
      const b = track(new TChannel({ name: "b", knownPeers: [hostPort] }));
      const raw = await echo(a, hostPort, "x");
      const json = await jsonClient(b)({ service: "kv", endpoint: "add", body: { a: 20, b: 22 } });
      const thrift = await thriftClient(a)(kv.KeyValue.getValue({ key: "foo" }));
      return { raw, sum: json.body, value: thrift.body };
    };
    const live = await useCassette(path, scenario);
    expect(calls).toEqual(["echo:x", "add:20+22", "getValue:foo"]);
    await server.close();
    const replayed = await useCassette(path, scenario);
    expect(replayed).toEqual(live);
    expect(replayed).toEqual({ raw: "echo:x", sum: { sum: 42 }, value: "bar" });
    expect(calls).toHaveLength(3);
    // Without the cassette the same calls fail: nothing is listening any more.
    await expect(echo(client(), hostPort, "x")).rejects.toThrow();
  });
});

describe("jest forms", () => {
  const path = join(dir, "jest-form.yaml");
  let cassette: Cassette;

  it(
    "withCassette wraps a test function",
    withCassette(path, { recordMode: "new_episodes" }, async (c) => {
      const { hostPort } = await startServer();
      expect(c.isInserted).toBe(true);
      expect(await echo(client(), hostPort, "w")).toBe("echo:w");
    }),
  );

  describe("insertCassette in beforeEach, eject in afterEach", () => {
    beforeEach(() => {
      cassette = insertCassette(path, { recordMode: "none" });
    });
    afterEach(() => cassette.eject());

    it("replays what withCassette recorded", async () => {
      expect(await echo(client(), "127.0.0.1:1", "w")).toBe("echo:w");
      expect(cassette.playCount).toBe(1);
    });
  });

  it("nested cassettes: the inner one passes what it does not replay to the outer one, and must be ejected first", async () => {
    const { hostPort, calls } = await startServer();
    const outerPath = cassettePath();
    const innerPath = cassettePath();
    const ch = client();
    await useCassette(outerPath, async (outer) => {
      await useCassette(innerPath, async (inner) => {
        await echo(ch, hostPort, "n");
        expect(inner.recordCount).toBe(1);
        expect(outer.recordCount).toBe(1);
      });
      const a = insertCassette(cassettePath());
      const b = insertCassette(cassettePath());
      expect(() => a.eject()).toThrow(/reverse order/);
      expect(a.isInserted).toBe(true);
      b.eject();
      a.eject();
      expect(a.isInserted).toBe(false);
    });
    expect(calls).toEqual(["echo:n"]);
  });

  it("saves what was recorded even when the body throws, and rethrows the body's error", async () => {
    const { hostPort } = await startServer();
    const p = cassettePath();
    await expect(
      useCassette(p, async () => {
        await echo(client(), hostPort, "before failure");
        throw new UnexpectedError("the test failed");
      }),
    ).rejects.toThrow("the test failed");
    expect(parseCassette(readFileSync(p, "utf8"), p)).toHaveLength(1);
  });
});

describe("a cassette in tchannel-python's format, written by hand", () => {
  // As tchannel-python (PyYAML, Python 2) writes them: sorted keys, !!python/unicode tags on
  // text, argScheme as VCRProxy's enum (RAW 0, JSON 1, THRIFT 2), bytes as !!binary.
  const thriftBody = Buffer.from([0x0b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x62, 0x61, 0x72, 0x00]).toString("base64"); // result { 0: "bar" }
  const thriftArgs = Buffer.from([0x0b, 0x00, 0x01, 0x00, 0x00, 0x00, 0x03, 0x66, 0x6f, 0x6f, 0x00]).toString("base64"); // args { 1: "foo" }
  const cassette = `interactions:
- request:
    argScheme: 1
    body: '{"a": 1}'
    endpoint: !!python/unicode 'hello'
    headers: '{"$tracing$uber-trace-id": "ca18ff55ca2d44ac:ca18ff55ca2d44ac:0:1"}'
    hostPort: localhost:54324
    knownPeers: []
    serviceName: !!python/unicode 'hello_service'
    transportHeaders:
    - key: as
      value: json
    - key: cn
      value: client
  response:
    body: '"world"'
    code: 0
    headers: '{}'
- request:
    argScheme: 0
    body: ping
    endpoint: echo
    serviceName: raw_service
  response:
    body: pong
    code: 0
- request:
    argScheme: 2
    body: !!binary |
      ${thriftArgs}
    endpoint: KeyValue::getValue
    headers: !!binary |
      AAA=
    hostPort: ''
    knownPeers:
    - 127.0.0.1:4040
    serviceName: kv
    transportHeaders:
    - key: as
      value: thrift
    - key: cn
      value: keyvalue-client
  response:
    body: !!binary |
      ${thriftBody}
    code: 0
    headers: !!binary |
      AAA=
version: 1
`;

  it("replays json, raw and thrift calls from it", async () => {
    const path = cassettePath();
    writeFileSync(path, cassette);
    const ch = client();
    await useCassette(path, { recordMode: "none" }, async (c) => {
      const json = jsonClient(ch);
      const hello = await json({ service: "hello_service", endpoint: "hello", body: { a: 1 }, headers: { "$tracing$uber-trace-id": "ca18ff55ca2d44ac:ca18ff55ca2d44ac:0:1" } });
      expect(hello.body).toBe("world");
      expect(hello.status).toBe(0);
      const pong = await ch.raw({ service: "raw_service", endpoint: "echo", body: Buffer.from("ping") });
      expect(pong.body.toString()).toBe("pong");
      const kv = loadThriftSource(IDL, { service: "kv" });
      const value = await thriftClient(ch)(kv.KeyValue.getValue({ key: "foo" }));
      expect(value.body).toBe("bar");
      expect(c.playCount).toBe(3);
    });
  });
});

// The sync hook as a blocking client (SyncTChannel of @tchannel/sync) uses it: called on the
// calling thread with `next` making the real, blocking call. The sync client itself is tested
// with cassettes in packages/interop (sync-vcr.test.ts), since the two packages may not meet here.
describe("the sync call interceptor", () => {
  const client = { name: "blocking", knownPeers: ["127.0.0.1:1"] };
  const syncCall = (options: RawCallOptions, next: (o: RawCallOptions) => CallResult): CallResult => {
    const interceptor = syncCallInterceptor();
    return interceptor === undefined ? next(options) : interceptor(options, client, next);
  };
  const call = (body: string): RawCallOptions => ({ service: "kv", scheme: "raw", arg1: "echo", arg2: Buffer.from("h"), arg3: Buffer.from(body) });
  const answer = (options: RawCallOptions): CallResult => ({ ok: true, code: 0, arg2: Buffer.from("rh"), arg3: Buffer.concat([Buffer.from("echo:"), Buffer.from(options.arg3!)]), headers: { as: "raw" }, hostPort: "127.0.0.1:1" });

  it("is installed with the async one and removed on eject", () => {
    const cassette = insertCassette(cassettePath());
    expect(syncCallInterceptor()).toBeDefined();
    cassette.eject();
    expect(syncCallInterceptor()).toBeUndefined();
  });

  it("records blocking calls and their protocol errors, and replays them synchronously as results and the same typed errors", () => {
    const path = cassettePath();
    const recording = insertCassette(path);
    const real: string[] = [];
    try {
      expect(syncCall(call("a"), (o) => (real.push("a"), answer(o))).arg3.toString()).toBe("echo:a");
      expect(() =>
        syncCall(call("busy"), () => {
          real.push("busy");
          throw errorFromPeer(3, "too busy", { service: "kv", endpoint: "echo" });
        }),
      ).toThrow(BusyError);
      // Made here (not the peer's answer): not recorded.
      expect(() =>
        syncCall(call("local"), () => {
          real.push("local");
          throw new TimeoutError("request timed out after 5ms", { service: "kv", endpoint: "echo" });
        }),
      ).toThrow(TimeoutError);
    } finally {
      recording.eject();
    }
    expect(real).toEqual(["a", "busy", "local"]);
    expect(parseCassette(readFileSync(path, "utf8"), path)).toHaveLength(2);
    const saved = parseCassette(readFileSync(path, "utf8"), path);
    expect(saved[0]!.request).toMatchObject({ serviceName: "kv", endpoint: "echo", argScheme: "raw", knownPeers: ["127.0.0.1:1"] });
    expect(saved[0]!.request.transportHeaders).toEqual([{ key: "as", value: "raw" }, { key: "cn", value: "blocking" }]);
    expect(saved[1]!.response.error).toEqual({ code: 0x03, type: "BusyError", message: "too busy" });

    const replaying = insertCassette(path, { recordMode: "none" });
    try {
      const never = (): CallResult => {
        throw new Error("the real call must not run");
      };
      const replayed = syncCall(call("a"), never);
      expect(replayed).not.toBeInstanceOf(Promise);
      expect(replayed).toMatchObject({ ok: true, code: 0, headers: { as: "raw" } });
      expect(replayed.arg3.toString()).toBe("echo:a");
      expect(replayed.arg2.toString()).toBe("rh");
      let err: unknown;
      try {
        syncCall(call("busy"), never);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(BusyError);
      expect((err as Error).message).toBe("too busy");
      expect(() => syncCall(call("b"), never)).toThrow(CannotRecordInteractionsError);
    } finally {
      replaying.eject();
    }
  });

  it("shares the interactions with async calls: recorded by TChannel.call, replayed by a blocking call", async () => {
    const { hostPort } = await startServer();
    const path = cassettePath();
    await useCassette(path, async () => {
      await track(new TChannel({ name: "async" })).raw({ service: "kv", endpoint: "echo", headers: Buffer.from("h"), body: Buffer.from("x"), hostPort });
    });
    await useCassette(path, { recordMode: "none" }, () => {
      const replayed = syncCall({ ...call("x"), hostPort }, () => {
        throw new Error("the real call must not run");
      });
      expect(replayed.arg3.toString()).toBe("echo:x");
    });
  });
});
