// `pnpm --filter @tchannel-internal/fault hostile [rounds]`: a hostile peer sends a server process
// rounds of varied bad input (bad sizes, unknown types, bad checksums, orphan continues, abandoned
// fragments, half frames, garbage, cancels, huge declared args) over fresh connections, and reports
// the server's memory (after a GC) before, during and after, and that it still answers.
import { TChannel } from "@tchannel/channel";
import { EMPTY_TRACING, FrameType, encodeFrame } from "@tchannel/frame";
import { Probe, callReqFrame, framesOf } from "./probe.js";
import { ServerProcess } from "./server-process.js";

const rounds = Number(process.argv[2] ?? 1000);
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

function callReq(id: number, bodySize: number, ttl = 1000, endpoint = "echo"): Buffer {
  return callReqFrame(id, { endpoint, bodySize, ttl, caller: "hostile", fill: 3 });
}

/** One bad thing, chosen by round; the connection is thrown away after. */
const attacks: Array<(p: Probe, i: number) => void> = [
  (p) => p.send(Buffer.from([0x00, 0x05, 0x03, 0x00])), // size below the header
  (p) => p.send(encodeFrame({ type: FrameType.PingReq, id: 1 }).fill(0x7e, 2, 3)), // unknown type
  (p, i) => {
    const f = callReq(i, 100);
    f[f.length - 1]! ^= 0xff; // checksum mismatch
    p.send(f);
  },
  (p, i) => p.send(encodeFrame({ type: FrameType.CallReqContinue, id: i, flags: 0, checksumType: 0, args: [Buffer.from("x")] })), // orphan continue
  (p, i) => {
    for (let k = 0; k < 20; k++) p.send(framesOf(callReq(i * 100 + k, 200_000, 1000))[0]!); // abandoned fragments (~1.3 MB)
  },
  (p, i) => p.send(callReq(i, 100).subarray(0, 30)), // half a frame, then gone
  (p) => p.send(Buffer.alloc(4096, 0xff)), // garbage: size 0xffff of junk
  (p, i) => {
    p.send(callReq(i, 10, 1000, "hang"));
    p.send(encodeFrame({ type: FrameType.Cancel, id: i, ttl: 0, tracing: EMPTY_TRACING, why: "x" }));
  },
  (p, i) => {
    const big = framesOf(callReq(i, 30_000_000)); // over maxRequestSize
    for (const f of big.slice(0, 5)) p.send(f);
  },
];

const server = await ServerProcess.start({ execArgv: ["--expose-gc"], channel: { frameTimeout: 2000, initTimeout: 2000 } });
const before = await server.memory();
let peak = before.rss;
for (let i = 0; i < rounds; i++) {
  const p = await Probe.open(server.hostPort);
  p.send(Probe.initReq());
  attacks[i % attacks.length]!(p, i + 1);
  await new Promise((r) => setTimeout(r, 5));
  p.destroy();
  if (i % 100 === 99) {
    const m = await server.memory();
    peak = Math.max(peak, m.rss);
    console.log(`after ${i + 1} rounds: server RSS ${mb(m.rss)}, heap ${mb(m.heapUsed)}, external ${mb(m.external)}`);
  }
}
await new Promise((r) => setTimeout(r, 3000)); // TTLs and frame deadlines pass
const after = await server.memory();
const client = new TChannel({ name: "check" });
const alive = (await client.raw({ service: "fault", endpoint: "echo", body: Buffer.from("alive"), hostPort: server.hostPort })).body.toString() === "alive";
await client.close();
await server.close();
await server.exited;
console.log(`hostile peer: ${rounds} rounds of ${attacks.length} kinds of bad input, each on a fresh connection`);
console.log(`server RSS ${mb(before.rss)} before, peak ${mb(peak)}, ${mb(after.rss)} after (heap ${mb(before.heapUsed)} -> ${mb(after.heapUsed)}, external ${mb(before.external)} -> ${mb(after.external)}); still answering: ${alive}`);
