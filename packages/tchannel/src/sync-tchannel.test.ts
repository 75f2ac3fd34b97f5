import { afterEach, describe, expect, it } from "@jest/globals";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { InvalidArgumentError, RouterFileError, SyncTChannel, TimeoutError } from "./index.js";

// The sync client's advertise up to the router: what it checks and reads on the calling thread,
// and how it fails. Advertising on the real Hyperbahn is tested in packages/interop
// (sync-advertise.test.ts); a router cannot run in this thread, which the sync call blocks.

const open: SyncTChannel[] = [];
afterEach(() => {
  for (const c of open.splice(0)) c.close();
});

function client(): SyncTChannel {
  const c = new SyncTChannel({ name: "sync-advertiser" });
  open.push(c);
  return c;
}

/** A port nothing listens on. */
async function deadPort(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return `127.0.0.1:${port}`;
}

describe("tchannel-ts SyncTChannel.advertise", () => {
  it("checks the options on the calling thread, as the async advertise does", () => {
    const sync = client();
    expect(() => sync.advertise({} as never)).toThrow(/exactly one of routers and routerFile/);
    expect(() => sync.advertise({ routers: ["no-port"] })).toThrow(/host:port/);
    expect(() => sync.advertise({ routerFile: join(tmpdir(), "no-such-hosts.json") })).toThrow(RouterFileError);
    expect(sync._workerStarts).toBe(0); // nothing reached the worker
  });

  it("bad advertise arguments are InvalidArgumentErrors naming the field, never a ZodError or BadRequestError", () => {
    const sync = client();
    const thrown = (fn: () => unknown): Error => {
      try {
        fn();
      } catch (err) {
        return err as Error;
      }
      throw new Error("expected a throw");
    };
    const cases: Array<[unknown, RegExp]> = [
      [{ routers: "127.0.0.1:1" }, /invalid advertise options: routers: .*got "127.0.0.1:1"/],
      [{ routers: ["no-port"] }, /routers.0: expected host:port \(got "no-port"\)/],
      [{ routers: ["127.0.0.1:1"], timeout: "100" }, /timeout: .*got "100"/],
      [{ routers: ["127.0.0.1:1"], timeout: Number.NaN }, /timeout: .*got NaN/],
      [{ routers: ["127.0.0.1:1"], interval: -1 }, /interval/],
      [{ routers: ["127.0.0.1:1"], colour: "red" }, /unknown option "colour"/],
      [{ routers: ["127.0.0.1:1"], intervall: 5 }, /unknown option "intervall" \(did you mean "interval"\?\)/],
      [{}, /exactly one of routers and routerFile/],
    ];
    for (const [options, message] of cases) {
      const err = thrown(() => sync.advertise(options as never));
      expect(err.constructor).toBe(InvalidArgumentError);
      expect(err.message).toMatch(message);
      expect(err.name).not.toBe("ZodError");
    }
    expect(sync._workerStarts).toBe(0);
  });

  it("reads a relative router file from the caller's working directory, and times out when no router answers", async () => {
    const router = await deadPort();
    const dir = mkdtempSync(join(tmpdir(), "sync-advertise-"));
    writeFileSync(join(dir, "hosts.json"), JSON.stringify([router]));
    const sync = client();
    const started = performance.now();
    let err: unknown;
    try {
      sync.advertise({ routerFile: relative(process.cwd(), join(dir, "hosts.json")), timeout: 400, attemptTimeout: 100 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toContain(`could not advertise sync-advertiser to Hyperbahn (${router}) within 400ms`);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(sync._workerStarts).toBe(1); // the worker gave up by itself: it was not replaced
    expect(sync.invoke("hyperbahn.stop")).toBeUndefined();
  });
});
