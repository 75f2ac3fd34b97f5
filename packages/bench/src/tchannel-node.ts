// Uber's tchannel-node 4.0.1 (the baseline), loaded from packages/interop/peers, where
// packages/interop/scripts/install-peers.sh installs it. Untyped CommonJS: `any` at this edge.
/* eslint-disable @typescript-eslint/no-explicit-any */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { type EchoCall, type EchoClient, EchoMismatchError, jsonData, makePayload, stamp } from "./echo-adapter.js";
import { BENCH_THRIFT, CALL_TIMEOUT_MS, JSON_ENDPOINT, RAW_ENDPOINT, SERVICE, type Scheme, THRIFT_ENDPOINT } from "./implementations.js";

const requireHere = createRequire(import.meta.url);

/** packages/interop, found through the workspace dependency. */
export const INTEROP_DIR: string = dirname(requireHere.resolve("@tchannel-internal/interop/package.json"));
export const PEERS_DIR: string = join(INTEROP_DIR, "peers");
export const INSTALL_PEERS_SCRIPT: string = join(INTEROP_DIR, "scripts", "install-peers.sh");

/** tchannel-node's modules, each required on first use (a client loads only its scheme's). */
function load(): { TChannel: any; readonly TChannelJSON: any; readonly TChannelAsThrift: any } {
  const requirePeer = createRequire(join(PEERS_DIR, "package.json"));
  return {
    TChannel: requirePeer("tchannel"),
    get TChannelJSON() {
      return requirePeer("tchannel/as/json");
    },
    get TChannelAsThrift() {
      return requirePeer("tchannel/as/thrift");
    },
  };
}

/** Logs tchannel-node's warnings and errors to stderr, the first few of each message only. */
function quietLogger(): any {
  const seen = new Map<string, number>();
  const log = (level: string) => (msg: string) => {
    const n = (seen.get(msg) ?? 0) + 1;
    seen.set(msg, n);
    if (n <= 3) process.stderr.write(`tchannel-node ${level}: ${msg}\n`);
  };
  const noop = () => {};
  return { debug: noop, info: noop, warn: log("warn"), error: log("error"), fatal: log("fatal") };
}

export function startNodeServer(): Promise<{ port: number }> {
  const { TChannel, TChannelJSON, TChannelAsThrift } = load();
  const channel = new TChannel({ logger: quietLogger() });
  const sub = channel.makeSubChannel({ serviceName: SERVICE });
  sub.register(RAW_ENDPOINT, (_req: any, res: any, arg2: Buffer, arg3: Buffer) => {
    res.headers.as = "raw";
    res.sendOk(arg2, arg3);
  });
  const json = TChannelJSON({ channel: sub });
  json.register(sub, JSON_ENDPOINT, {}, (_ctx: any, _req: any, head: any, body: any, cb: any) => cb(null, { ok: true, head, body }));
  const thrift = TChannelAsThrift({ source: readFileSync(BENCH_THRIFT, "utf8"), strict: false, channel: sub });
  thrift.register(sub, THRIFT_ENDPOINT, {}, (_ctx: any, _req: any, head: any, args: any, cb: any) => cb(null, { ok: true, head, body: args.payload }));
  return new Promise((resolve) => {
    channel.listen(0, "127.0.0.1", () => resolve({ port: Number(String(channel.hostPort).split(":")[1]) }));
  });
}

export function nodeClient(scheme: Scheme, hostPort: string): EchoClient {
  const peer = load();
  const TChannel = peer.TChannel;
  const channel = new TChannel({ logger: quietLogger() });
  const sub = channel.makeSubChannel({ serviceName: SERVICE, peers: [hostPort] });
  const options = (as: string) => ({ serviceName: SERVICE, hasNoParent: true, timeout: CALL_TIMEOUT_MS, headers: { as, cn: "bench-client" } });
  const close = () => new Promise<void>((resolve) => channel.close(() => resolve()));
  const failed = (err: any): Error => (err instanceof Error ? err : new Error(String(err?.message ?? err)));
  if (scheme === "raw") {
    return {
      close,
      worker(size): EchoCall {
        const body = makePayload(size);
        return (seq, done) => {
          stamp(body, seq);
          sub.request(options("raw")).send(RAW_ENDPOINT, null, body, (err: any, res: any, _arg2: any, arg3: any) => {
            if (err) done(failed(err));
            else done(res.ok && Buffer.isBuffer(arg3) && arg3.equals(body) ? undefined : new EchoMismatchError("raw echo differs"));
          });
        };
      },
    };
  }
  if (scheme === "json") {
    const json = peer.TChannelJSON({ channel: sub });
    return {
      close,
      worker(size): EchoCall {
        const data = jsonData(size);
        return (seq, done) => {
          json.request(options("json")).send(JSON_ENDPOINT, null, { seq, data }, (err: any, resp: any) => {
            if (err) done(failed(err));
            else done(resp.ok && resp.body?.seq === seq && resp.body.data === data ? undefined : new EchoMismatchError("json echo differs"));
          });
        };
      },
    };
  }
  const thrift = peer.TChannelAsThrift({ source: readFileSync(BENCH_THRIFT, "utf8"), strict: false, channel: sub });
  return {
    close,
    worker(size): EchoCall {
      const data = makePayload(size);
      return (seq, done) => {
        stamp(data, seq);
        thrift.request(options("thrift")).send(THRIFT_ENDPOINT, null, { payload: { seq, data } }, (err: any, res: any) => {
          if (err) done(failed(err));
          else done(res.ok && res.body?.seq === seq && Buffer.isBuffer(res.body.data) && res.body.data.equals(data) ? undefined : new EchoMismatchError("thrift echo differs"));
        });
      };
    },
  };
}
