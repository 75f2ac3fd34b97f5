// Memory and time of decoding a hostile thrift message (issue 13): arg3 holding one list of empty
// structs (one byte each, the smallest value there is), as large as the message limit allows.
// Run `pnpm build` first. Each case runs in its own process, for a clean peak RSS.
//
//   node bench/hostile-decode.mjs                 the table: 4, 16, 64 MiB with the default budget,
//                                                 and 4, 8 MiB with no budget (what it was before)
//   node bench/hostile-decode.mjs call <MiB>      end to end: a server (default limits) and a
//                                                 client in one process, the hostile arg3 sent as
//                                                 a call to a registered thrift endpoint
//   node bench/hostile-decode.mjs <MiB> <budget>  one case (budget "none" for no budget, "fill"
//                                                 for the default budget's worst case: a list of
//                                                 exactly as many empty structs as it allows)
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(import.meta.url);
const [size, budget] = process.argv.slice(2);

if (size === undefined) {
  console.log("| arg3 | budget | result | time | heap used after | peak RSS |");
  console.log("|---:|---:|---|---:|---:|---:|");
  for (const [mib, b] of [[4, "default"], [16, "default"], [64, "default"], [4, "fill"], [4, "none"], [8, "none"]]) {
    const out = execFileSync(process.execPath, ["--max-old-space-size=4096", here, String(mib), b], { encoding: "utf8" });
    console.log(out.trim());
  }
  console.log("\n| call arg3 | answer | time to the answer | server+client peak RSS |");
  console.log("|---:|---|---:|---:|");
  for (const mib of ["15.9", "64"]) console.log(execFileSync(process.execPath, [here, "call", mib], { encoding: "utf8" }).trim());
  process.exit(0);
}

if (size === "call") {
  const { TChannel } = await import("@tchannel/channel");
  const { loadThriftSync, thriftClient } = await import("../dist/index.js");
  const idl = loadThriftSync(fileURLToPath(new URL("../test/fixtures/cadence-like/frontend.thrift", import.meta.url)), { service: "cadence" });
  const server = new TChannel({ name: "cadence" });
  thriftClient(server).register(idl.WorkflowService, "GetWorkflowExecutionHistory", () => ({}));
  const hostPort = await server.listen();
  const client = new TChannel({ name: "client" });
  // GetWorkflowExecutionHistory_args { 1: getRequest { 99 (unknown): list<struct> of n empty structs } }
  const n = Math.floor(Number(budget) * 2 ** 20) - 16;
  const arg3 = Buffer.alloc(n + 16);
  Buffer.from("0c00010f00630c", "hex").copy(arg3, 0);
  arg3.writeInt32BE(n, 7);
  const t0 = performance.now();
  const answer = await client
    .call({ service: "cadence", scheme: "thrift", arg1: "WorkflowService::GetWorkflowExecutionHistory", arg2: Buffer.from([0, 0]), arg3, hostPort, timeout: 60_000 })
    .then(() => "ok", (err) => `${err.name}: ${err.message.slice(0, 60)}...`);
  const ms = performance.now() - t0;
  console.log(`| ${(arg3.length / 2 ** 20).toFixed(1)} MiB | ${answer} | ${ms.toFixed(0)} ms | ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB |`);
  await client.close();
  await server.close();
  process.exit(0);
}

const { loadThriftSync, decodeThrift, DEFAULT_MAX_ELEMENTS } = await import("../dist/index.js");
const cadence = loadThriftSync(fileURLToPath(new URL("../test/fixtures/cadence-like/frontend.thrift", import.meta.url)));
const n = budget === "fill" ? DEFAULT_MAX_ELEMENTS - 1 : Number(size) * 1024 * 1024 - 9;
const bytes = Buffer.alloc(n + 9); // zeros: n STOP bytes
Buffer.from("0f000a0c", "hex").copy(bytes, 0);
bytes.writeInt32BE(n, 4);
const options = budget === "none" ? { maxElements: Infinity } : {};
global.gc?.();
const t0 = performance.now();
let result;
try {
  const history = decodeThrift(cadence.shared.History, bytes, options);
  result = `decoded ${history.events.length.toLocaleString("en-US")} objects`;
} catch (err) {
  result = `refused: ${err.message.replace(/^.*: /, "")}`;
}
const ms = performance.now() - t0;
const heap = process.memoryUsage().heapUsed / 2 ** 20;
const rss = process.resourceUsage().maxRSS / 1024;
console.log(`| ${((n + 9) / 2 ** 20).toFixed(1)} MiB | ${budget === "none" ? "none" : DEFAULT_MAX_ELEMENTS.toLocaleString("en-US")} | ${result} | ${ms.toFixed(1)} ms | ${heap.toFixed(0)} MiB | ${rss.toFixed(0)} MiB |`);
