import { afterEach, describe, expect, it } from "@jest/globals";
import type { EncodableArg } from "@tchannel/frame";
import { UnexpectedError } from "./errors.js";
import { TChannel } from "./tchannel.js";

// A low-level handler's answer as encodable args (issue 18): written into the call res frame;
// limits checked on `size` before anything is written; a wrong answer is an error frame and the
// connection goes on.

const open: TChannel[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

/** An encodable of `bytes`, counting its writes. */
function encodable(bytes: Buffer, wrote = bytes.length): EncodableArg & { writes: number } {
  return {
    writes: 0,
    size: bytes.length,
    writeInto(buf: Buffer, offset: number): number {
      this.writes++;
      bytes.copy(buf, offset);
      return offset + wrote;
    },
  };
}

async function pair() {
  const server = new TChannel({ name: "server", maxArgSize: 100_000 });
  const client = new TChannel({ name: "client" });
  open.push(server, client);
  const replies = new Map<string, () => unknown>();
  for (const name of ["answer", "next"]) server.register(name, "raw", () => replies.get(name)!() as never);
  const hostPort = await server.listen();
  const call = (endpoint: string) => client.call({ service: "server", scheme: "raw", arg1: endpoint, hostPort });
  return { replies, call };
}

describe("encodable args in a handler's answer", () => {
  it("are written into the frame: the same answer as bytes, one frame or many, with and without arg2", async () => {
    const { replies, call } = await pair();
    for (const size of [0, 1, 4096, 16 * 1024 + 1, 65_000, 90_000]) {
      const body = Buffer.alloc(size, size & 0xff);
      for (const head of [Buffer.alloc(0), Buffer.from("h".repeat(50))]) {
        const a3 = encodable(body);
        replies.set("answer", () => ({ ok: size % 2 === 0, arg2: encodable(head), arg3: a3 }));
        const res = await call("answer");
        expect({ size, ok: res.ok, head: res.arg2.equals(head), body: res.arg3.equals(body), writes: a3.writes }).toEqual({ size, ok: size % 2 === 0, head: true, body: true, writes: 1 });
      }
    }
  });

  it("over maxArgSize are refused on their size, never written; a wrong length or a throw is an error frame; the connection goes on", async () => {
    const { replies, call } = await pair();
    replies.set("next", () => ({ ok: true, arg2: Buffer.alloc(0), arg3: Buffer.from("fine") }));
    const big = encodable(Buffer.alloc(100_001));
    const cases: [() => unknown, RegExp][] = [
      [() => ({ ok: true, arg2: Buffer.alloc(0), arg3: big }), /100001 bytes, over maxArgSize/],
      [() => ({ ok: true, arg2: Buffer.alloc(0), arg3: encodable(Buffer.alloc(10), 9) }), /declared 10 bytes but wrote 9/],
      [() => ({ ok: true, arg2: Buffer.alloc(0), arg3: encodable(Buffer.alloc(30_000), 30_001) }), /declared 30000 bytes but wrote 30001/],
      [() => ({ ok: true, arg2: Buffer.alloc(0), arg3: { size: 5, writeInto: () => { throw new Error("no bytes today"); } } }), /no bytes today/],
      [() => ({ ok: true, arg2: Buffer.alloc(0), arg3: { size: 5 } }), /bytes \(a Buffer or Uint8Array\) or encodable args/],
      [() => undefined, /bytes \(a Buffer or Uint8Array\) or encodable args/],
    ];
    for (const [reply, message] of cases) {
      replies.set("answer", reply);
      const err = await call("answer").then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(UnexpectedError);
      expect((err as Error).message).toMatch(message);
      expect((await call("next")).arg3.toString()).toBe("fine");
    }
    expect(big.writes).toBe(0);
  });
});
