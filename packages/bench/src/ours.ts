import { Response, TChannel } from "@tchannel/channel";
import type { ThriftMethod, ThriftRequest } from "@tchannel/thrift";
import { type EchoCall, type EchoClient, EchoMismatchError, jsonData, makePayload, stamp } from "./echo-adapter.js";
import { BENCH_THRIFT, CALL_TIMEOUT_MS, JSON_ENDPOINT, RAW_ENDPOINT, SERVICE, type Scheme } from "./implementations.js";

interface Payload {
  seq: number;
  data: Buffer;
}

/** bench.thrift, typed. */
interface BenchModule {
  Bench: { readonly methods: ReadonlyMap<string, ThriftMethod>; echo(args: { payload: Payload }): ThriftRequest<Payload> };
}

/** Our server: raw, json and thrift echo on one channel, through the public scheme APIs. */
export async function startOursServer(): Promise<{ port: number; close(): Promise<void> }> {
  const { jsonClient } = await import("@tchannel/json");
  const { loadThriftSync, thriftClient } = await import("@tchannel/thrift");
  const channel = new TChannel({ name: SERVICE });
  channel.raw.register(RAW_ENDPOINT, (req) => new Response(req.body, req.headers));
  jsonClient(channel).register(JSON_ENDPOINT, (req) => req.body);
  const bench = loadThriftSync<BenchModule>(BENCH_THRIFT, { service: SERVICE });
  thriftClient(channel).register(bench.Bench, "echo", (req) => req.body.payload);
  const hostPort = await channel.listen();
  return { port: Number(hostPort.split(":")[1]), close: () => channel.close() };
}

/** Our client for one scheme; it loads only that scheme's package, as an application would. */
export async function oursClient(scheme: Scheme, hostPort: string): Promise<EchoClient> {
  const channel = new TChannel({ name: "bench-client", timeout: CALL_TIMEOUT_MS });
  const close = () => channel.close();
  if (scheme === "raw") {
    return {
      close,
      worker(size): EchoCall {
        const body = makePayload(size);
        return (seq, done) => {
          stamp(body, seq);
          channel.raw({ service: SERVICE, endpoint: RAW_ENDPOINT, body, hostPort }).then(
            (res) => done(res.ok && res.body.equals(body) ? undefined : new EchoMismatchError("raw echo differs")),
            done,
          );
        };
      },
    };
  }
  if (scheme === "json") {
    const json = (await import("@tchannel/json")).jsonClient(channel);
    return {
      close,
      worker(size): EchoCall {
        const data = jsonData(size);
        return (seq, done) => {
          json({ service: SERVICE, endpoint: JSON_ENDPOINT, body: { seq, data }, hostPort }).then((res) => {
            const b = res.body as { seq?: unknown; data?: unknown } | null;
            done(res.ok && b?.seq === seq && b.data === data ? undefined : new EchoMismatchError("json echo differs"));
          }, done);
        };
      },
    };
  }
  const { loadThriftSync, thriftClient } = await import("@tchannel/thrift");
  const bench = loadThriftSync<BenchModule>(BENCH_THRIFT, { service: SERVICE, hostPort });
  const thrift = thriftClient(channel);
  return {
    close,
    worker(size): EchoCall {
      const data = makePayload(size);
      return (seq, done) => {
        stamp(data, seq);
        thrift(bench.Bench.echo({ payload: { seq, data } })).then((res) => {
          const p = res.body;
          done(p?.seq === seq && Buffer.isBuffer(p.data) && p.data.equals(data) ? undefined : new EchoMismatchError("thrift echo differs"));
        }, done);
      };
    },
  };
}
