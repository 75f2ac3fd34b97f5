// Microbenchmark of the @tchannel/frame codec (run `pnpm build` first; it imports ../dist).
//
//   node bench/frame-bench.mjs           about 45 s: 25 rounds of ~150 ms per case
//   node bench/frame-bench.mjs --quick   CI smoke run, a few seconds
//
// Every case is checked for correctness once, calibrated, then measured in interleaved rounds:
// each round runs every case once, in an order rotated per round, so a noisy neighbour or a CPU
// frequency change hits all cases alike. We report the median ops/s over rounds with the min-max
// spread, and head-to-head ratios computed per round (both sides ran in the same round) before
// taking their median. Allocation and GC are part of what is measured, as in production.
import assert from "node:assert/strict";
import os from "node:os";

let frame, bufrwCodec;
try {
  frame = await import("../dist/index.js");
  bufrwCodec = await import("./bufrw-call-req.mjs");
} catch (err) {
  if (err?.code !== "ERR_MODULE_NOT_FOUND") throw err;
  console.error(`${err.message}\nBuild the package first: pnpm build (or npx tsc -p tsconfig.build.json).`);
  process.exit(1);
}
const { ChecksumType, FrameReader, MessageAssembler, decodeFrame, encodeCallReq, encodeCallRes, rootTracing } = frame;
const { bufrwDecodeCallReq, bufrwEncodeCallReq } = bufrwCodec;

// ---- options ----------------------------------------------------------------------------------

const argv = process.argv.slice(2);
const unknown = argv.filter((a) => a !== "--quick");
if (unknown.length > 0) {
  console.error(`unknown argument(s): ${unknown.join(" ")}\nusage: node bench/frame-bench.mjs [--quick]`);
  process.exit(2);
}
const QUICK = argv.includes("--quick");
/** Rounds, the time one case runs per round, and the warm-up (JIT + calibration) per case. */
const CONFIG = QUICK ? { rounds: 5, sampleMs: 25, warmupMs: 40 } : { rounds: 25, sampleMs: 150, warmupMs: 400 };

// ---- messages ---------------------------------------------------------------------------------

/** Deterministic filler bytes (a Buffer: the bufrw baseline needs Buffers). */
function bytes(n, seed = 1) {
  const out = Buffer.allocUnsafe(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

const t = rootTracing(true);
const TRACING = Buffer.from(t.buffer, t.byteOffset, t.byteLength);
const HEADERS = { cn: "keyvalue-client", as: "thrift", re: "c" };
const ARG1 = Buffer.from("KeyValue::getValue");
const ARG2 = Buffer.from([0x00, 0x00]); // an empty Thrift header map (spec §15.3)

function callReq(arg3Size, checksumType) {
  return { id: 42, ttl: 1000, tracing: TRACING, service: "keyvalue", headers: HEADERS, checksumType, args: [ARG1, ARG2, bytes(arg3Size)] };
}

const REQ_SMALL = callReq(18, ChecksumType.Crc32C);
const REQ_SMALL_NONE = callReq(18, ChecksumType.None);
const REQ_4K = callReq(4 * 1024, ChecksumType.Crc32C);
const REQ_256K = callReq(256 * 1024, ChecksumType.Crc32C);
const RES_SMALL = { id: 42, code: 0, tracing: TRACING, headers: HEADERS, checksumType: ChecksumType.Crc32C, args: [ARG1, ARG2, bytes(18, 2)] };

const REQ_SMALL_BYTES = encodeCallReq(REQ_SMALL);
const REQ_256K_BYTES = encodeCallReq(REQ_256K);
const CHUNK_SIZE = 64 * 1024;
/** The 256 KiB message as a socket would deliver it: 64 KiB chunks that cut through frames. */
const REQ_256K_CHUNKS = [];
for (let o = 0; o < REQ_256K_BYTES.length; o += CHUNK_SIZE) REQ_256K_CHUNKS.push(REQ_256K_BYTES.subarray(o, o + CHUNK_SIZE));

const argBytes = (msg) => msg.args.reduce((n, a) => n + a.length, 0);

/** Feeds the chunks through FrameReader -> decodeFrame -> MessageAssembler; returns the message. */
function makeReassembler() {
  const reader = new FrameReader();
  const assembler = new MessageAssembler();
  let done;
  const onFrame = (b) => {
    const m = assembler.push(decodeFrame(b));
    if (m !== undefined) done = m;
  };
  return (chunks) => {
    done = undefined;
    for (let i = 0; i < chunks.length; i++) reader.push(chunks[i], onFrame);
    return done;
  };
}

// ---- correctness, once, before measuring -------------------------------------------------------

function checkAll() {
  for (const msg of [REQ_SMALL, REQ_SMALL_NONE, REQ_4K]) {
    const f = decodeFrame(encodeCallReq(msg));
    assert.equal(f.service, msg.service);
    assert.deepEqual({ ...f.headers }, msg.headers);
    assert.deepEqual(f.args, msg.args);
  }
  assert.deepEqual(decodeFrame(encodeCallRes(RES_SMALL)).args, RES_SMALL.args);

  // The bufrw baseline must write our exact bytes and read them back to the same fields.
  for (const msg of [REQ_SMALL_NONE, REQ_SMALL]) {
    const ours = encodeCallReq(msg);
    assert.ok(bufrwEncodeCallReq(msg).equals(ours), "bufrw and encodeCallReq differ");
    const theirs = bufrwDecodeCallReq(ours);
    const f = decodeFrame(ours);
    assert.deepEqual(
      { id: theirs.id, ttl: theirs.ttl, tracing: theirs.tracing, service: theirs.service, headers: theirs.headers, csum: theirs.checksum.value ?? 0, args: theirs.args },
      { id: f.id, ttl: f.ttl, tracing: f.tracing, service: f.service, headers: { ...f.headers }, csum: f.checksum, args: f.args },
    );
  }

  // 256 KiB fragments into several frames and reassembles to the same args, checksums verified.
  assert.ok(REQ_256K_BYTES.length > 65535, "the 256 KiB message should span several frames");
  const m = makeReassembler()(REQ_256K_CHUNKS);
  assert.ok(m, "reassembly did not complete");
  assert.deepEqual(m.args, REQ_256K.args);
}

// ---- cases ------------------------------------------------------------------------------------
// Each `run(n)` loops n times itself (one monomorphic call site per case) and returns a value
// derived from the results, which the harness accumulates so no work can be optimized away.

const reassemble = makeReassembler();

const CASES = [
  {
    name: "call req small, CRC-32C: encode+decode",
    run(n) {
      let s = 0;
      for (let i = 0; i < n; i++) s += decodeFrame(encodeCallReq(REQ_SMALL)).args.length;
      return s;
    },
  },
  {
    name: "call req small, None: encode+decode",
    run(n) {
      let s = 0;
      for (let i = 0; i < n; i++) s += decodeFrame(encodeCallReq(REQ_SMALL_NONE)).args.length;
      return s;
    },
  },
  {
    name: "call req small, CRC-32C: encode",
    run(n) {
      let s = 0;
      for (let i = 0; i < n; i++) s += encodeCallReq(REQ_SMALL).length;
      return s;
    },
  },
  {
    name: "call req small, CRC-32C: decode",
    run(n) {
      let s = 0;
      for (let i = 0; i < n; i++) s += decodeFrame(REQ_SMALL_BYTES).args.length;
      return s;
    },
  },
  {
    // decodeFrame reads the csum but does not verify it; MessageAssembler does (spec §8).
    name: "call req small, CRC-32C: encode+decode+assemble (verifies csum)",
    assembler: new MessageAssembler(),
    run(n) {
      let s = 0;
      for (let i = 0; i < n; i++) s += this.assembler.push(decodeFrame(encodeCallReq(REQ_SMALL))).args.length;
      return s;
    },
  },
  {
    name: "call res small, CRC-32C: encode+decode",
    run(n) {
      let s = 0;
      for (let i = 0; i < n; i++) s += decodeFrame(encodeCallRes(RES_SMALL)).args.length;
      return s;
    },
  },
  {
    name: "call req 4 KiB arg3, CRC-32C: encode+decode",
    bytesPerOp: argBytes(REQ_4K),
    run(n) {
      let s = 0;
      for (let i = 0; i < n; i++) s += decodeFrame(encodeCallReq(REQ_4K)).args.length;
      return s;
    },
  },
  {
    name: "256 KiB arg3, CRC-32C: encodeCallReq (fragments)",
    bytesPerOp: argBytes(REQ_256K),
    run(n) {
      let s = 0;
      for (let i = 0; i < n; i++) s += encodeCallReq(REQ_256K).length;
      return s;
    },
  },
  {
    name: "256 KiB arg3, CRC-32C: FrameReader 64 KiB chunks + decodeFrame + MessageAssembler",
    bytesPerOp: argBytes(REQ_256K),
    run(n) {
      let s = 0;
      for (let i = 0; i < n; i++) s += reassemble(REQ_256K_CHUNKS).args[2].length;
      return s;
    },
  },
  {
    name: "bufrw 1.4.0 call req small, None: encode+decode",
    run(n) {
      let s = 0;
      for (let i = 0; i < n; i++) s += bufrwDecodeCallReq(bufrwEncodeCallReq(REQ_SMALL_NONE)).args.length;
      return s;
    },
  },
];

/** Head-to-head ratios, `a` relative to `b`, computed per round. */
const COMPARISONS = [
  ["checksum cost: CRC-32C vs None (encode+decode)", "call req small, CRC-32C: encode+decode", "call req small, None: encode+decode"],
  ["ours vs bufrw (None, encode+decode)", "call req small, None: encode+decode", "bufrw 1.4.0 call req small, None: encode+decode"],
];

// ---- harness ----------------------------------------------------------------------------------

let sink = 0;
const nowNs = () => Number(process.hrtime.bigint());

/** Warms a case up (doubling batches) and sets `iterations` so one sample lasts ~sampleMs. */
function calibrate(c) {
  const start = nowNs();
  let n = 1;
  let elapsed = 0;
  while (nowNs() - start < CONFIG.warmupMs * 1e6) {
    const t0 = nowNs();
    sink += c.run(n);
    elapsed = nowNs() - t0;
    if (elapsed < (CONFIG.warmupMs * 1e6) / 4) n *= 2;
  }
  c.iterations = Math.max(1, Math.round((CONFIG.sampleMs * 1e6 * n) / Math.max(elapsed, 1)));
  c.samples = [];
}

function measure(c) {
  const t0 = nowNs();
  sink += c.run(c.iterations);
  c.samples.push((c.iterations * 1e9) / (nowNs() - t0));
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const fmtInt = (x) => Math.round(x).toLocaleString("en-US");
const fmtOps = (x) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)}k` : x.toFixed(1));
const fmtNs = (x) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)} ms` : x >= 1e3 ? `${(x / 1e3).toFixed(2)} µs` : `${x.toFixed(0)} ns`);

// ---- main -------------------------------------------------------------------------------------

const cpus = os.cpus();
console.log(`@tchannel/frame microbenchmark${QUICK ? " (--quick)" : ""}`);
console.log(`node ${process.version}, ${os.platform()} ${os.arch()}, ${cpus.length} x ${cpus[0]?.model ?? "unknown cpu"}`);
console.log(`${CONFIG.rounds} interleaved rounds, ~${CONFIG.sampleMs} ms per case per round, ${CONFIG.warmupMs} ms warm-up per case\n`);

checkAll();
const started = nowNs();
for (const c of CASES) calibrate(c);
for (let r = 0; r < CONFIG.rounds; r++) {
  for (let k = 0; k < CASES.length; k++) measure(CASES[(k + r) % CASES.length]);
  if (process.stderr.isTTY) process.stderr.write(`\rround ${r + 1}/${CONFIG.rounds}`);
}
if (process.stderr.isTTY) process.stderr.write("\r\x1b[K");
const seconds = (nowNs() - started) / 1e9;

const rows = CASES.map((c) => {
  const ops = median(c.samples);
  const mbs = c.bytesPerOp ? ((ops * c.bytesPerOp) / 1e6).toFixed(1) : "";
  return `| ${c.name} | ${fmtInt(ops)} | ${fmtOps(Math.min(...c.samples))} - ${fmtOps(Math.max(...c.samples))} | ${fmtNs(1e9 / ops)} | ${mbs} |`;
});
console.log("| case | median ops/s | min - max ops/s | median time/op | MB/s |");
console.log("|---|---:|---:|---:|---:|");
for (const row of rows) console.log(row);

console.log("\n| comparison | median ratio (per round) | min - max |");
console.log("|---|---:|---:|");
const byName = new Map(CASES.map((c) => [c.name, c]));
for (const [label, a, b] of COMPARISONS) {
  const sa = byName.get(a).samples;
  const sb = byName.get(b).samples;
  const ratios = sa.map((x, i) => x / sb[i]);
  console.log(`| ${label} | ${median(ratios).toFixed(2)}x | ${Math.min(...ratios).toFixed(2)}x - ${Math.max(...ratios).toFixed(2)}x |`);
}

const peakRssMb = (process.resourceUsage().maxRSS / 1024).toFixed(1); // maxRSS is in KiB
console.log(`\nMB/s = arg bytes per op x ops/s / 1e6. Measured ${seconds.toFixed(1)} s; peak RSS ${peakRssMb} MiB; node ${process.version}.`);
if (sink === 42) console.log(""); // keeps `sink` observable
