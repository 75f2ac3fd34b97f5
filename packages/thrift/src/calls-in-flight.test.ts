// Encoded requests and replies are views of a shared slab (binary-codec.ts): with many calls in
// flight, payloads of every size around the slab's and the core's limits, with and without
// headers, each caller must get exactly its own answer.
import { afterEach, describe, expect, it } from "@jest/globals";
import { Response, TChannel } from "@tchannel/channel";
import { thriftClient } from "./thrift-client.js";
import { loadThriftSource } from "./thrift-module.js";

const IDL = `
struct Payload {
  1: required i32 seq
  2: required binary data
}
service Echo {
  Payload echo(1: required Payload payload)
}
`;
const open: TChannel[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

describe("thrift calls in flight together", () => {
  it("every call of many in flight gets its own answer, small, near the limit and over it, with and without headers", async () => {
    const server = new TChannel({ name: "echo" });
    const client = new TChannel({ name: "echo-client" });
    open.push(server, client);
    const mod = loadThriftSource(IDL, { service: "echo" });
    thriftClient(server).register(mod.Echo, "echo", (req) => {
      const payload = req.body.payload as { seq: number; data: Buffer };
      // Every third answer carries headers (a Response).
      return payload.seq % 3 === 0 ? new Response(payload, { seq: String(payload.seq) }) : payload;
    });
    const hostPort = await server.listen();
    const remote = loadThriftSource(IDL, { service: "echo", hostPort });
    const thrift = thriftClient(client);
    const sizes = [0, 60, 4096, 8100, 8200, 12_000, 20_000];
    const calls = Array.from({ length: 600 }, (_, seq) => {
      const data = Buffer.alloc(sizes[seq % sizes.length]!, seq & 0xff);
      if (data.length >= 4) data.writeUInt32BE(seq, 0);
      return thrift(remote.Echo.echo({ payload: { seq, data } }), { timeout: 20_000 }).then((res) => {
        const body = res.body as { seq: number; data: Buffer };
        expect(body.seq).toBe(seq);
        expect(body.data.equals(data)).toBe(true);
        expect(res.headers).toEqual(seq % 3 === 0 ? { seq: String(seq) } : {});
      });
    });
    await Promise.all(calls);
  }, 60_000);
});
