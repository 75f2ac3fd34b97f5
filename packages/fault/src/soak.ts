// `pnpm --filter @tchannel-internal/fault soak [seconds] [concurrency]`: a server process and
// this client exchange small calls (and some 256 KiB ones) for a few minutes; after a warm-up it
// reports RSS and heap growth of both sides, sampled after a GC. Outside CI: it takes minutes.
import { TChannel } from "@tchannel/channel";
import { ServerProcess } from "./server-process.js";

const seconds = Number(process.argv[2] ?? 180);
const concurrency = Number(process.argv[3] ?? 32);
const warmup = Math.min(30, seconds / 4);
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
const gc = (globalThis as { gc?: () => void }).gc;

const server = await ServerProcess.start({ execArgv: ["--expose-gc"] });
const client = new TChannel({ name: "soak" });
const small = Buffer.alloc(64, 1);
const large = Buffer.alloc(256 * 1024, 2);
let calls = 0;
let errors = 0;
let stop = false;
async function loop(k: number): Promise<void> {
  for (let i = 0; !stop; i++) {
    const body = k === 0 && i % 50 === 0 ? large : small;
    try {
      await client.raw({ service: "fault", endpoint: "echo", body, hostPort: server.hostPort, timeout: 5000 });
      calls++;
    } catch {
      errors++;
    }
  }
}

function clientMemory() {
  gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed };
}

const loops = Array.from({ length: concurrency }, (_, k) => loop(k));
await new Promise((r) => setTimeout(r, warmup * 1000));
const c0 = clientMemory();
const s0 = await server.memory();
const calls0 = calls;
const t0 = performance.now();
await new Promise((r) => setTimeout(r, (seconds - warmup) * 1000));
const c1 = clientMemory();
const s1 = await server.memory();
const rate = ((calls - calls0) / ((performance.now() - t0) / 1000)).toFixed(0);
stop = true;
await Promise.all(loops);
await client.close();
await server.close();
await server.exited;
console.log(`soak: ${seconds} s (warm-up ${warmup} s), ${concurrency} in flight, ${calls} calls (${rate}/s after warm-up), ${errors} errors`);
console.log(`client after warm-up -> end: RSS ${mb(c0.rss)} -> ${mb(c1.rss)} (${mb(c1.rss - c0.rss)}), heap ${mb(c0.heapUsed)} -> ${mb(c1.heapUsed)} (${mb(c1.heapUsed - c0.heapUsed)})`);
console.log(`server after warm-up -> end: RSS ${mb(s0.rss)} -> ${mb(s1.rss)} (${mb(s1.rss - s0.rss)}), heap ${mb(s0.heapUsed)} -> ${mb(s1.heapUsed)} (${mb(s1.heapUsed - s0.heapUsed)})`);
console.log("both processes exited by themselves: yes");
