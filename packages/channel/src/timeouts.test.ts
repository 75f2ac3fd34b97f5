import { afterEach, describe, expect, it } from "@jest/globals";
import { ChecksumType, EMPTY_TRACING, ErrorCode, FrameType, encodeCallReq } from "@tchannel/frame";
import { destroyProbes, probe } from "../test/probe.js";
import { TimeoutError } from "./errors.js";
import { TChannel } from "./tchannel.js";

// Timeouts (issue 15 items 6 and 7): never early, the real elapsed time in the message, and a
// per-attempt timeout so that retryOn "t" can act within the call's deadline.

const open: TChannel[] = [];
afterEach(async () => {
  destroyProbes();
  await Promise.all(open.splice(0).map((c) => c.close()));
});

async function server(name: string, answerAfter: number | "never"): Promise<{ hostPort: string; runs: () => number }> {
  const ch = new TChannel({ name: "svc", drainTimeout: 10 });
  open.push(ch);
  let runs = 0;
  ch.raw.register("work", () => {
    runs++;
    if (answerAfter === "never") return new Promise<Buffer>(() => {});
    return new Promise<Buffer>((r) => setTimeout(() => r(Buffer.from(name)), answerAfter));
  });
  ch.register("work-raw", "raw", () => (answerAfter === "never" ? new Promise(() => {}) : { ok: true, arg2: Buffer.alloc(0), arg3: Buffer.from(name) }));
  return { hostPort: await ch.listen(), runs: () => runs };
}

describe("timeouts", () => {
  it("never fire early, and say the real time waited", async () => {
    const { hostPort } = await server("a", "never");
    const client = new TChannel({ name: "client" });
    open.push(client);
    await client.raw({ service: "svc", endpoint: "work-raw", hostPort: (await server("b", 0)).hostPort }); // warm up a connection elsewhere
    for (const timeout of [1, 5, 20, 100]) {
      const calls = Array.from({ length: 20 }, async () => {
        const started = performance.now();
        const err = await client.raw({ service: "svc", endpoint: "work", hostPort, timeout, retryOn: "n" }).catch((e: unknown) => e);
        return { err, took: performance.now() - started };
      });
      for (const { err, took } of await Promise.all(calls)) {
        expect(err).toBeInstanceOf(TimeoutError);
        expect(took).toBeGreaterThanOrEqual(timeout);
        const said = Number(/after (\d+)ms/.exec((err as Error).message)?.[1]);
        expect(said).toBeGreaterThanOrEqual(timeout);
        expect(said).toBeLessThanOrEqual(Math.ceil(took));
      }
    }
  });

  it("timeoutPerAttempt lets retryOn 't' reach a live peer within the call's timeout when one peer hangs", async () => {
    const frozen = await server("frozen", "never");
    const live = await server("live", 0);
    const client = new TChannel({ name: "client", knownPeers: [frozen.hostPort, live.hostPort] });
    open.push(client);
    let fromLive = 0;
    for (let i = 0; i < 20; i++) {
      const res = await client.raw({ service: "svc", endpoint: "work-raw", timeout: 2000, timeoutPerAttempt: 100, retryOn: "t" });
      if (res.body.toString() === "live") fromLive++;
    }
    expect(fromLive).toBe(20);
    // Without it, an attempt on the frozen peer takes the whole budget and the call fails.
    const errors = await Promise.all(
      Array.from({ length: 10 }, () => client.raw({ service: "svc", endpoint: "work-raw", hostPort: frozen.hostPort, timeout: 200, retryOn: "t" }).catch((e: unknown) => e)),
    );
    for (const e of errors) expect(e).toBeInstanceOf(TimeoutError);
  });

  it("an attempt's TTL on the wire is its own timeout, and its timeout says so", async () => {
    const ch = new TChannel({ name: "svc" });
    open.push(ch);
    const ttls: number[] = [];
    ch.raw.register("hang", (req) => {
      ttls.push(req.transport.ttl);
      return new Promise(() => {});
    });
    const hostPort = await ch.listen();
    const client = new TChannel({ name: "client" });
    open.push(client);
    const err = await client.raw({ service: "svc", endpoint: "hang", hostPort, timeout: 5000, timeoutPerAttempt: 100, retryOn: "t", retryLimit: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toMatch(/attempt timed out after \d+ms \(timeoutPerAttempt\)/);
    expect(ttls).toHaveLength(3);
    for (const ttl of ttls) expect(ttl).toBeLessThanOrEqual(100);
  });

  it("a server's own TTL timer never fires early either", async () => {
    const ch = new TChannel({ name: "svc" });
    open.push(ch);
    ch.raw.register("hang", () => new Promise<Buffer>(() => {}));
    const p = await probe(await ch.listen());
    await p.handshake();
    for (let id = 2; id < 22; id++) {
      const sent = performance.now();
      p.send(encodeCallReq({ id, ttl: 20, tracing: EMPTY_TRACING, service: "svc", headers: { cn: "p", as: "raw" }, checksumType: ChecksumType.None, args: [Buffer.from("hang"), Buffer.alloc(0), Buffer.alloc(0)] }));
      await p.until(() => p.frames.some((f) => f.id === id));
      expect(performance.now() - sent).toBeGreaterThanOrEqual(20);
      expect(p.frames.find((f) => f.id === id)).toMatchObject({ type: FrameType.Error, code: ErrorCode.Timeout });
    }
  });
});
