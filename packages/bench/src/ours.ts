import { Response, TChannel } from "@tchannel/channel";
import type { ThriftMethod, ThriftRequest } from "@tchannel/thrift";
import { type EchoCall, type EchoClient, EchoMismatchError, jsonData, makePayload, stamp } from "./echo-adapter.js";
import { BENCH_THRIFT, CALL_TIMEOUT_MS, JSON_ENDPOINT, RAW_ENDPOINT, SERVICE, STREAM_CHUNK, STREAM_ENDPOINT, type Scheme } from "./implementations.js";

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
  // The streamed cell sends ours-raw a whole 64 MiB message: above the 16 MiB default a server
  // accepts (issue 15), which it answers BadRequest. Room for it and its headers.
  const channel = new TChannel({ name: SERVICE, maxRequestSize: 80 * 1024 * 1024 });
  channel.raw.register(RAW_ENDPOINT, (req) => new Response(req.body, req.headers));
  jsonClient(channel).register(JSON_ENDPOINT, (req) => req.body);
  const bench = loadThriftSync<BenchModule>(BENCH_THRIFT, { service: SERVICE });
  thriftClient(channel).register(bench.Bench, "echo", (req) => req.body.payload);
  // The body streams back as it arrives.
  channel.registerStreamed(STREAM_ENDPOINT, "raw", async (call) => ({ ok: true, arg2: await call.arg2.bytes(), arg3: call.arg3 }));
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
  if (scheme === "stream") {
    return {
      close,
      worker(size): EchoCall {
        const body = makePayload(size);
        // Views of the worker's payload, which stays unchanged until its call is answered.
        const chunks: Buffer[] = [];
        for (let o = 0; o < size; o += STREAM_CHUNK) chunks.push(body.subarray(o, Math.min(size, o + STREAM_CHUNK)));
        return (seq, done) => {
          stamp(body, seq);
          channel.callStreamed({ service: SERVICE, scheme: "raw", arg1: STREAM_ENDPOINT, arg3: chunks, hostPort }).then(async (res) => {
            await res.arg2.bytes();
            let o = 0;
            let same = res.ok;
            for await (const chunk of res.arg3) {
              if (same && !chunk.equals(body.subarray(o, o + chunk.length))) same = false;
              o += chunk.length;
            }
            done(same && o === size ? undefined : new EchoMismatchError("streamed echo differs"));
          }, done).catch(done);
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
