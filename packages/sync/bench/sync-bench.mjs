// Calls per second at concurrency 1: the sync client against the async client in the same run,
// same server (in another process), for a 64-byte raw echo, json and thrift. The rounds alternate
// sync and async so machine noise hits both alike; each figure is the median of the rounds.
//   pnpm --filter @tchannel/sync bench [calls per round, default 3000]   (builds first)
//   node bench/sync-bench.mjs [calls per round]                          (needs the built packages)
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { TChannel } from "@tchannel/channel";
import { jsonClient } from "@tchannel/json";
import { loadThrift, thriftClient } from "@tchannel/thrift";
import { SyncTChannel } from "@tchannel/sync";

const N = Number(process.argv[2] ?? 3000);
const ROUNDS = 5;
const server = spawn(process.execPath, [fileURLToPath(new URL("../test/fixtures/server.mjs", import.meta.url))], { stdio: ["pipe", "pipe", "inherit"] });
const hostPort = (await new Promise((resolve) => server.stdout.once("data", resolve))).toString().trim();
const kv = await loadThrift(fileURLToPath(new URL("../../thrift/test/fixtures/keyvalue.thrift", import.meta.url)), { service: "sync-test", hostPort });

const sync = new SyncTChannel({ name: "bench-sync" });
const channel = new TChannel({ name: "bench-async" });
const json = jsonClient(channel);
const thrift = thriftClient(channel);
const body = Buffer.alloc(64, "x"); // the 64 B raw echo of the main benchmark (packages/bench)
sync.thrift(kv.KeyValue.setValue({ key: "k", value: "v" }));

const cases = {
  "raw 64 B": [() => sync.raw({ service: "sync-test", endpoint: "echo", body, hostPort }), () => channel.raw({ service: "sync-test", endpoint: "echo", body, hostPort })],
  json: [() => sync.json({ service: "sync-test", endpoint: "add", body: { a: 1, b: 2 }, hostPort }), () => json({ service: "sync-test", endpoint: "add", body: { a: 1, b: 2 }, hostPort })],
  thrift: [() => sync.thrift(kv.KeyValue.getValue({ key: "k" })), () => thrift(kv.KeyValue.getValue({ key: "k" }))],
};

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`sync vs async client, C=1, ${ROUNDS} alternating rounds of ${N} calls, median (Node ${process.version}, ${(await import("node:os")).cpus().length} cores)`);
for (const [name, [syncCall, asyncCall]] of Object.entries(cases)) {
  for (let i = 0; i < 300; i++) syncCall();
  for (let i = 0; i < 300; i++) await asyncCall();
  const syncRates = [];
  const asyncRates = [];
  for (let round = 0; round < ROUNDS; round++) {
    let t = performance.now();
    for (let i = 0; i < N; i++) syncCall();
    syncRates.push((N * 1000) / (performance.now() - t));
    t = performance.now();
    for (let i = 0; i < N; i++) await asyncCall();
    asyncRates.push((N * 1000) / (performance.now() - t));
  }
  const s = median(syncRates);
  const a = median(asyncRates);
  console.log(`${name.padEnd(8)} C=1  sync ${Math.round(s)} calls/s (${(1e6 / s).toFixed(0)} µs/call)  async ${Math.round(a)} calls/s (${(1e6 / a).toFixed(0)} µs/call)  sync/async ${(s / a).toFixed(2)}`);
}
sync.close();
await channel.close();
server.stdin.end();
