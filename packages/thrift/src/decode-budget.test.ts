// The decode budget (issue 13, defect 8): a message of many tiny values (an empty struct is one
// byte) is refused before it becomes millions of objects, and a request is answered BadRequest.
import { afterEach, describe, expect, it } from "@jest/globals";
import { join } from "node:path";
import { BadRequestError, TChannel, UnexpectedError } from "@tchannel/channel";
import { DEFAULT_MAX_ELEMENTS, ThriftCodecError, decodeStruct } from "./binary-codec.js";
import { decodeThrift, encodeThrift } from "./struct-codec.js";
import { thriftClient } from "./thrift-client.js";
import { loadThriftSync } from "./thrift-module.js";

const fixtures = join(__dirname, "..", "test", "fixtures");
const cadence = loadThriftSync(join(fixtures, "cadence-like", "frontend.thrift"), { service: "cadence" });
const open: TChannel[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

/** A History whose events list holds n empty HistoryEvents: n + 8 bytes. */
function emptyEvents(n: number): Buffer {
  const head = Buffer.from("0f000a0c00000000", "hex");
  head.writeInt32BE(n, 4);
  const body = Buffer.alloc(n + 1); // n STOP bytes, then the History's STOP
  return Buffer.concat([head, body]);
}

describe("the decode budget", () => {
  it("refuses a message of more values than the budget before allocating them, known or skipped", () => {
    const n = DEFAULT_MAX_ELEMENTS + 1;
    const hostile = emptyEvents(n);
    expect(() => decodeThrift(cadence.shared.History, hostile)).toThrow(/more values than the decode budget allows/);
    // The same bytes as a field the reader does not know (skipped) count too.
    const unknown = Buffer.concat([Buffer.from("0f00630c", "hex"), hostile.subarray(4)]);
    expect(() => decodeThrift(cadence.shared.History, unknown)).toThrow(ThriftCodecError);
    // Under the budget, the same shape decodes.
    const fine = decodeThrift(cadence.shared.History, emptyEvents(1000)) as { events: unknown[] };
    expect(fine.events).toHaveLength(1000);
    expect(() => decodeThrift(cadence.shared.History, emptyEvents(1000), { maxElements: 999 })).toThrow(ThriftCodecError);
    // Maps and struct fields count as well.
    const history = { events: Array.from({ length: 10 }, (_, i) => ({ eventId: BigInt(i), version: 1n })) };
    const bytes = encodeThrift(cadence.shared.History, history);
    expect(() => decodeStruct(cadence.WorkflowService.methods.get("Now").result, Buffer.from([0]), "x", { maxElements: 1 })).not.toThrow();
    expect(() => decodeThrift(cadence.shared.History, bytes, { maxElements: 30 })).toThrow(ThriftCodecError); // 1 + 10 + 20
    expect(decodeThrift(cadence.shared.History, bytes, { maxElements: 31 })).toBeTruthy();
  });

  it("answers a hostile request with BadRequest, and the channel goes on serving", async () => {
    const server = new TChannel({ name: "cadence" });
    open.push(server);
    const thrift = thriftClient(server);
    let handled = 0;
    thrift.register(cadence.WorkflowService, "GetWorkflowExecutionHistory", () => {
      handled++;
      return { archived: true };
    });
    thrift.register(cadence.WorkflowService, "Now", () => 1n, { maxElements: 1 });
    const hostPort = await server.listen();
    const client = new TChannel({ name: "client" });
    open.push(client);
    // GetWorkflowExecutionHistory_args { 1: getRequest { 20: execution ... } } would be the real
    // shape; here the request struct carries the hostile list as an unknown field.
    const arg3 = Buffer.concat([Buffer.from("0c0001" + "0f00630c", "hex"), emptyEvents(DEFAULT_MAX_ELEMENTS + 10).subarray(4), Buffer.from([0])]);
    const err = await client
      .call({ service: "cadence", scheme: "thrift", arg1: "WorkflowService::GetWorkflowExecutionHistory", arg2: Buffer.from([0, 0]), arg3, hostPort, timeout: 20_000 })
      .catch((e) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err.message).toContain("decode budget");
    expect(handled).toBe(0);
    // A per-endpoint budget from register's options.
    const small = await client.call({ service: "cadence", scheme: "thrift", arg1: "WorkflowService::Now", arg2: Buffer.from([0, 0]), arg3: Buffer.from("0800010000000108000200000002" + "00", "hex"), hostPort }).catch((e) => e);
    expect(small).toBeInstanceOf(BadRequestError);
    const ok = await thriftClient(client)(cadence.WorkflowService.GetWorkflowExecutionHistory({ getRequest: { domain: "d" } }), { hostPort });
    expect(ok.body).toBeInstanceOf(cadence.shared.GetWorkflowExecutionHistoryResponse);
    expect(handled).toBe(1);
    // A per-call budget for the response: { success: { archived } } is two values.
    const tight = await thriftClient(client)(cadence.WorkflowService.GetWorkflowExecutionHistory({ getRequest: {} }), { hostPort, maxElements: 1 }).catch((e) => e);
    expect(tight).toBeInstanceOf(UnexpectedError);
    expect(tight.message).toContain("decode budget");
  }, 30_000);

  it("passes a per-endpoint request size limit to the channel: a larger request is BadRequest, the handler never runs", async () => {
    const server = new TChannel({ name: "cadence" });
    open.push(server);
    let handled = 0;
    thriftClient(server).register(
      cadence.WorkflowService,
      "SignalWorkflowExecution",
      () => {
        handled++;
      },
      { maxRequestSize: 4096 },
    );
    const hostPort = await server.listen();
    const client = new TChannel({ name: "client" });
    open.push(client);
    const thrift = thriftClient(client);
    const big = await thrift(cadence.WorkflowService.SignalWorkflowExecution({ signalName: "s", input: Buffer.alloc(8192) }), { hostPort }).catch((e) => e);
    expect(big).toBeInstanceOf(BadRequestError);
    expect(handled).toBe(0);
    await thrift(cadence.WorkflowService.SignalWorkflowExecution({ signalName: "s", input: Buffer.alloc(1024) }), { hostPort });
    expect(handled).toBe(1);
    expect(() => thriftClient(server).register(cadence.WorkflowService, "Now", () => 1n, { maxRequestSize: -1 })).toThrow(/invalid thrift.register options/);
  });
});
