import { afterEach, describe, expect, it } from "@jest/globals";
import { BadRequestError, InvalidArgumentError, Response, type SchemeCallOptions, TChannel, UnexpectedError } from "@tchannel/channel";
import { jsonClient, jsonScheme } from "./json-scheme.js";

const open: TChannel[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

async function server() {
  const ch = new TChannel({ name: "jsonsvc" });
  open.push(ch);
  const json = jsonClient(ch);
  json.register("add", (req) => {
    const body = req.body as { a: number; b: number };
    return new Response({ sum: body.a + body.b }, { ...req.headers, echoed: "yes" });
  });
  json.register("fail", () => new Response({ type: "bad", message: "nope" }, {}, { status: 1 }));
  json.register("nothing", () => undefined);
  const hostPort = await ch.listen();
  return hostPort;
}

function client() {
  const ch = new TChannel({ name: "json-client" });
  open.push(ch);
  return jsonClient(ch);
}

describe("json scheme (spec §15.2)", () => {
  it("rejects a misspelt per-call option with the nearest one, and accepts every documented option", async () => {
    const hostPort = await server();
    const json = client();
    const good = { service: "jsonsvc", endpoint: "add", body: { a: 1, b: 2 }, hostPort };
    for (const [bad, message] of [
      [{ timout: 100 }, 'invalid call options: unknown option "timout" (did you mean "timeout"?)'],
      [{ retyrOn: "n" }, 'invalid call options: unknown option "retyrOn" (did you mean "retryOn"?)'],
      [{ hostport: hostPort }, 'invalid call options: unknown option "hostport" (did you mean "hostPort"?)'],
      [{ header: { k: "v" } }, 'invalid call options: unknown option "header" (did you mean "headers"?)'],
    ] as const) {
      const err = await json({ ...good, ...bad } as never).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect((err as Error).message).toBe(message);
    }
    const every: Required<SchemeCallOptions<unknown, Record<string, string>>> = {
      ...good,
      headers: { k: "v" },
      timeout: 5000,
      timeoutPerAttempt: 4000,
      retryOn: "c",
      retryLimit: 1,
      shardKey: "s",
      routingDelegate: "jsonsvc",
      callerName: "json-client",
      checksumType: 3,
      signal: new AbortController().signal,
      transportHeaders: { "x-test": "1" },
    };
    expect((await json(every)).body).toEqual({ sum: 3 });
  });

  it("calls and answers with JSON headers and bodies", async () => {
    const hostPort = await server();
    const res = await client()({ service: "jsonsvc", endpoint: "add", body: { a: 1, b: 2 }, headers: { k: "v" }, hostPort });
    expect(res.body).toEqual({ sum: 3 });
    expect({ ...res.headers }).toEqual({ k: "v", echoed: "yes" });
    expect(res.status).toBe(0);
    expect(res.transport.headers.as).toBe("json");
  });

  it("hides $tracing$ headers (a tracer's context, as tchannel-go writes them) from handlers", () => {
    const headers = jsonScheme.decodeHeaders(Buffer.from('{"k":"v","$tracing$uber-trace-id":"a:b:0:1","$tracing$traceparent":"00-x"}'));
    expect({ ...headers }).toEqual({ k: "v" });
  });

  it("returns application errors with status 1 and the error body", async () => {
    const hostPort = await server();
    const res = await client()({ service: "jsonsvc", endpoint: "fail", hostPort });
    expect(res.status).toBe(1);
    expect(res.ok).toBe(false);
    expect(res.body).toEqual({ type: "bad", message: "nope" });
  });

  it("writes null for an undefined body", async () => {
    const hostPort = await server();
    expect((await client()({ service: "jsonsvc", endpoint: "nothing", hostPort })).body).toBeNull();
  });

  it("answers undecodable JSON with BadRequest", async () => {
    const hostPort = await server();
    const ch = new TChannel({ name: "raw-client" });
    open.push(ch);
    const err = await ch.call({ service: "jsonsvc", scheme: "json", arg1: "add", arg2: Buffer.from("{}"), arg3: Buffer.from("{not json"), hostPort }).catch((e) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err.message).toContain("cannot decode the json request");
  });

  it("refuses bodies and headers that are not JSON before sending: the caller's InvalidArgumentError, never BadRequestError", async () => {
    const hostPort = await server();
    const json = client();
    for (const options of [{ body: () => 1 }, { body: 1n }, { headers: { n: 1 as unknown as string } }]) {
      const err = await json({ service: "jsonsvc", endpoint: "add", hostPort, ...options }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect(err).not.toBeInstanceOf(BadRequestError);
      expect(err).toMatchObject({ code: "TCHANNEL_INVALID_ARGUMENT", wireCode: undefined, retry: "not-retryable", fromPeer: false, service: "jsonsvc", endpoint: "add" });
      expect((err as Error).message).toMatch(/^cannot encode the json request: /);
    }
    for (const headers of [[], null, "k=v"]) {
      await expect(json({ service: "jsonsvc", endpoint: "add", headers: headers as never, hostPort })).rejects.toThrow("cannot encode the json request: json headers must be an object of strings");
    }
  });

  it("reads empty args as no value, and rejects non-object headers", () => {
    expect(jsonScheme.decodeBody(Buffer.alloc(0))).toBeNull();
    expect(jsonScheme.decodeHeaders(Buffer.alloc(0))).toEqual({});
    expect(jsonScheme.decodeHeaders(Buffer.from("null"))).toEqual({});
    expect(() => jsonScheme.decodeHeaders(Buffer.from("[1]"))).toThrow("must be an object");
    expect(() => jsonScheme.decodeHeaders(Buffer.from('{"a":1}'))).toThrow("is not a string");
  });

  it("gives the caller UnexpectedError when a response is not JSON", async () => {
    const ch = new TChannel({ name: "liar" });
    open.push(ch);
    ch.register("add", "json", () => ({ ok: true, arg2: Buffer.from("{}"), arg3: Buffer.from("<html>") }));
    const hostPort = await ch.listen();
    await expect(client()({ service: "liar", endpoint: "add", hostPort })).rejects.toBeInstanceOf(UnexpectedError);
  });
});

// Replies are written straight into the call res frame (issue 18): sized as UTF-8 first, then
// written in place. Multi-byte characters put at every position around the frame's and the
// core's limits, with and without headers; a body that is not JSON answers an error frame.
describe("json replies written into the frame", () => {
  const CHARS = ["é", "中", "😀"];
  it("echoes strings with multi-byte characters at and around the one-frame and 16 KiB limits", async () => {
    const ch = new TChannel({ name: "jsonecho" });
    open.push(ch);
    const server = jsonClient(ch);
    server.register("echo", (req) => (Object.keys(req.headers).length > 0 ? new Response(req.body, req.headers) : req.body));
    const hostPort = await ch.listen();
    const call = client();
    const lengths = [0, 1, 100, 4096, ...[16 * 1024, 64 * 1024].flatMap((edge) => Array.from({ length: 24 }, (_, i) => edge - 140 + i * 7))];
    await Promise.all(
      lengths.flatMap((n, k) =>
        CHARS.map(async (c, j) => {
          // ASCII up to n bytes, then the multi-byte character, then more ASCII: the character
          // lands on each side of the limits across the lengths.
          const body = { s: `${"a".repeat(n)}${c}${"b".repeat(k % 3)}` };
          const headers = j === 1 ? { h: c.repeat(3) } : undefined;
          const res = await call({ service: "jsonecho", endpoint: "echo", body, headers, hostPort, timeout: 20_000 });
          expect(res.body).toEqual(body);
          expect({ ...res.headers }).toEqual(headers ?? {});
        }),
      ),
    );
  }, 60_000);

  it("answers an error frame for a body that is not JSON, and the connection goes on", async () => {
    const ch = new TChannel({ name: "jsonbad" });
    open.push(ch);
    const server = jsonClient(ch);
    server.register("bad", () => () => "a function");
    server.register("cyclic", () => {
      const o: Record<string, unknown> = {};
      o.self = o;
      return o;
    });
    server.register("ok", () => "x".repeat(5000));
    const hostPort = await ch.listen();
    const call = client();
    for (const endpoint of ["bad", "cyclic"]) {
      await expect(call({ service: "jsonbad", endpoint, hostPort })).rejects.toBeInstanceOf(UnexpectedError);
      expect((await call({ service: "jsonbad", endpoint: "ok", hostPort })).body).toBe("x".repeat(5000));
    }
  });

  it("sizes a body as its UTF-8 bytes and writes exactly those", () => {
    for (const body of [null, 0, "", "é", "😀".repeat(1000), { k: ["中", 1, true] }]) {
      const arg = jsonScheme.encodeBodyArg!(body) as { size: number; writeInto(buf: Buffer, offset: number): number };
      const bytes = Buffer.from(jsonScheme.encodeBody(body));
      expect(arg.size).toBe(bytes.length);
      const buf = Buffer.alloc(arg.size + 10, 0xee);
      expect(arg.writeInto(buf, 5)).toBe(5 + arg.size);
      expect(buf.subarray(5, 5 + arg.size).equals(bytes)).toBe(true);
      expect(buf.subarray(5 + arg.size).every((b) => b === 0xee)).toBe(true);
    }
    expect(() => jsonScheme.encodeBodyArg!(Symbol("s"))).toThrow(TypeError);
  });
});
