// Microbenchmark of the @tchannel/thrift binary codec against thriftrw 3.12.0 and a hand-written
// codec (run `pnpm build` first; it imports ../dist).
//
//   node bench/thrift-bench.mjs           about 90 s: 15 rounds of ~120 ms for each of 33 cases
//   node bench/thrift-bench.mjs --quick   CI smoke run, a few seconds
//
// Payloads (bare TBinaryProtocol structs, as arg3 of a Thrift call carries them, spec §15.3):
//   get    KeyValue::getValue_args { key: "user:12345" }               (keyvalue.thrift)
//   set    KeyValue::setValue_args { key, value: 4 KiB ASCII string }  (keyvalue.thrift)
//   entry  Entry { key, ttl, history: [{a: 1, b: 2}], status, tags }   (kitchen.thrift)
// Implementations:
//   ours       encodeStruct/decodeStruct from ../dist/binary-codec.js, on the StructDef that
//              loadThriftSync compiles (i64 as bigint, map as Map, enum as its name)
//   thriftrw   the public API: model.toBuffer(value) / model.fromBuffer(bytes)
//   trw-pool   thriftrw's struct RW through bufrw's pooled entry points (poolByteLength,
//              poolWriteInto, poolReadFrom with reused result objects) and Buffer.allocUnsafe:
//              what toBuffer/fromBuffer do minus their result wrappers and zero-filled output
//   hand       a codec written for exactly that struct (get and set only): the ceiling. It checks
//              types and bounds like ours but does not skip unknown fields (it rejects them)
// thriftrw's own representation for entry: i64 as 8-byte Buffers (what its decoder returns, so
// the round trip can be checked), map<string, i64> as a plain object, set<i32> as an array.
//
// Every implementation is checked once before measuring: for get and set all four write the same
// bytes and each decodes them back to its input; for entry ours and thriftrw write the same bytes
// and each decodes both its own and the other's bytes to its input. Then every case is calibrated
// and measured in interleaved rounds: each round runs every case once, in an order rotated per
// round, so a noisy neighbour or a CPU frequency change hits all cases alike. We report the median
// ops/s over rounds with the min-max spread, and head-to-head ratios computed per round (both
// sides ran in the same round) before taking their median. Allocation and GC are part of what is
// measured, as in production.
import assert from "node:assert/strict";
import os from "node:os";
import { fileURLToPath } from "node:url";

let thriftrw, thrift, codec;
try {
  thrift = await import("../dist/index.js");
  codec = await import("../dist/binary-codec.js");
  thriftrw = (await import("thriftrw")).default;
} catch (err) {
  if (err?.code !== "ERR_MODULE_NOT_FOUND") throw err;
  console.error(`${err.message}\nBuild the package first: pnpm build (or npx tsc -p tsconfig.build.json).`);
  process.exit(1);
}
const { loadThriftSync } = thrift;
const { encodeStruct, decodeStruct } = codec;
const { Thrift } = thriftrw;

// ---- options ----------------------------------------------------------------------------------

const argv = process.argv.slice(2);
const unknown = argv.filter((a) => a !== "--quick");
if (unknown.length > 0) {
  console.error(`unknown argument(s): ${unknown.join(" ")}\nusage: node bench/thrift-bench.mjs [--quick]`);
  process.exit(2);
}
const QUICK = argv.includes("--quick");
/** Rounds, the time one case runs per round, and the warm-up (JIT + calibration) per case. */
const CONFIG = QUICK ? { rounds: 3, sampleMs: 20, warmupMs: 30 } : { rounds: 15, sampleMs: 120, warmupMs: 300 };

// ---- IDL and values ---------------------------------------------------------------------------

const fixture = (name) => fileURLToPath(new URL(`../test/fixtures/${name}`, import.meta.url));
const KV_IDL = fixture("keyvalue.thrift");
const KITCHEN_IDL = fixture("kitchen.thrift");

// Ours: the StructDefs loadThriftSync compiled.
const kv = loadThriftSync(KV_IDL, { service: "kv" });
const kitchen = loadThriftSync(KITCHEN_IDL, { service: "kitchen" });
const GET_DEF = kv.KeyValue.getValue({}).method.args;
const SET_DEF = kv.KeyValue.setValue({}).method.args;
const ENTRY_DEF = kitchen[Symbol.for("tchannel.thrift.module")].structs.get("Entry");

// thriftrw: its own models of the same structs, loaded the way a thriftrw user would.
const kvRW = new Thrift({ entryPoint: KV_IDL, allowFilesystemAccess: true, strict: false });
const kitchenRW = new Thrift({ entryPoint: KITCHEN_IDL, allowFilesystemAccess: true, strict: false });
const GET_MODEL = kvRW.getType("KeyValue::getValue_args");
const SET_MODEL = kvRW.getType("KeyValue::setValue_args");
const ENTRY_MODEL = kitchenRW.getType("Entry");

/** Deterministic ASCII filler (letters and digits). */
function ascii(n, seed = 1) {
  const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  let x = seed;
  let s = "";
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    s += alphabet[(x >>> 24) % alphabet.length];
  }
  return s;
}

/** An i64 as thriftrw represents it by default: 8 big-endian bytes. */
function i64Buffer(v) {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(BigInt(v));
  return b;
}

const GET = { key: "user:12345" };
const SET = { key: "user:12345", value: ascii(4 * 1024) };
const ENTRY = { key: "entry:12345", ttl: 3600n, history: [new Map([["a", 1n], ["b", 2n]])], status: "EXPIRED", tags: [1, 2, 3] };
const ENTRY_RW = { key: "entry:12345", ttl: i64Buffer(3600), history: [{ a: i64Buffer(1), b: i64Buffer(2) }], status: "EXPIRED", tags: [1, 2, 3] };

// ---- thriftrw through the pooled bufrw entry points -------------------------------------------

/** Encode/decode with one model's RW, reusing bufrw's result objects (taken from a first call). */
function pooledRW(model, sample) {
  const rw = model.rw;
  const lengthResult = rw.byteLength(sample);
  const first = Buffer.allocUnsafe(lengthResult.length);
  const writeResult = rw.writeInto(sample, first, 0);
  const readResult = rw.readFrom(first, 0);
  return {
    encode(value) {
      rw.poolByteLength(lengthResult, value);
      if (lengthResult.err) throw lengthResult.err;
      const buf = Buffer.allocUnsafe(lengthResult.length);
      rw.poolWriteInto(writeResult, value, buf, 0);
      if (writeResult.err) throw writeResult.err;
      if (writeResult.offset !== buf.length) throw new Error(`thriftrw wrote ${writeResult.offset} of ${buf.length} bytes`);
      return buf;
    },
    decode(bytes) {
      rw.poolReadFrom(readResult, bytes, 0);
      if (readResult.err) throw readResult.err;
      if (readResult.offset !== bytes.length) throw new Error(`thriftrw read ${readResult.offset} of ${bytes.length} bytes`);
      return readResult.value;
    },
  };
}

const getPool = pooledRW(GET_MODEL, GET);
const setPool = pooledRW(SET_MODEL, SET);
const entryPool = pooledRW(ENTRY_MODEL, ENTRY_RW);

// ---- the hand-written ceiling -----------------------------------------------------------------
// Exactly getValue_args { 1: string key } and setValue_args { 1: string key, 2: string value }:
// one size computation, one allocation, no per-field dispatch.

const T_STOP = 0;
const T_STRING = 11;

function handTruncated(need, pos, buf) {
  return new Error(`truncated: needs ${need} bytes at ${pos}, ${buf.length - pos} remain`);
}

/** Writes `type:1 id:2 len:4 utf8`; `n` is the string's UTF-8 length. Returns the new offset. */
function handWriteStringField(buf, pos, id, s, n) {
  buf[pos] = T_STRING;
  buf[pos + 1] = id >>> 8;
  buf[pos + 2] = id & 0xff;
  buf.writeInt32BE(n, pos + 3);
  buf.write(s, pos + 7, n, "utf8");
  return pos + 7 + n;
}

function handEncodeGetArgs(v) {
  const key = v.key;
  if (typeof key !== "string") throw new TypeError("getValue_args.key: expected a string");
  const n = Buffer.byteLength(key);
  const buf = Buffer.allocUnsafe(8 + n);
  buf[handWriteStringField(buf, 0, 1, key, n)] = T_STOP;
  return buf;
}

function handEncodeSetArgs(v) {
  const key = v.key;
  const value = v.value;
  if (typeof key !== "string") throw new TypeError("setValue_args.key: expected a string");
  if (typeof value !== "string") throw new TypeError("setValue_args.value: expected a string");
  const nk = Buffer.byteLength(key);
  const nv = Buffer.byteLength(value);
  const buf = Buffer.allocUnsafe(15 + nk + nv);
  let pos = handWriteStringField(buf, 0, 1, key, nk);
  pos = handWriteStringField(buf, pos, 2, value, nv);
  buf[pos] = T_STOP;
  return buf;
}

/**
 * Reads the struct's fields: every field must be a string with id 1..maxId; returns the strings
 * by id (index 0 unused) after checking for the stop byte and trailing bytes.
 */
function handReadStringFields(buf, maxId, out) {
  let pos = 0;
  const end = buf.length;
  for (;;) {
    if (pos >= end) throw handTruncated(1, pos, buf);
    const type = buf[pos++];
    if (type === T_STOP) break;
    if (end - pos < 6) throw handTruncated(6, pos, buf);
    const id = (buf[pos] << 8) | buf[pos + 1];
    if (type !== T_STRING || id < 1 || id > maxId) throw new Error(`unexpected field ${id} of type ${type}`);
    const n = buf.readInt32BE(pos + 2);
    pos += 6;
    if (n < 0 || n > end - pos) throw new Error(`bad string length ${n} at ${pos - 4}`);
    out[id] = buf.toString("utf8", pos, pos + n);
    pos += n;
  }
  if (pos !== end) throw new Error(`${end - pos} trailing bytes`);
  return out;
}

function handDecodeGetArgs(buf) {
  const f = handReadStringFields(buf, 1, [undefined, undefined]);
  return { key: f[1] };
}

function handDecodeSetArgs(buf) {
  const f = handReadStringFields(buf, 2, [undefined, undefined, undefined]);
  return { key: f[1], value: f[2] };
}

// ---- encoded inputs for the decode cases ------------------------------------------------------

const GET_BYTES = encodeStruct(GET_DEF, GET);
const SET_BYTES = encodeStruct(SET_DEF, SET);
const ENTRY_BYTES = encodeStruct(ENTRY_DEF, ENTRY);

// ---- correctness, once, before measuring -------------------------------------------------------

/** thriftrw's decoded structs carry every field, unset ones as null; ours are class instances. */
const plain = (obj) => Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== null && v !== undefined));

function checkAll() {
  for (const [label, def, model, pool, handEncode, handDecode, value] of [
    ["getValue_args", GET_DEF, GET_MODEL, getPool, handEncodeGetArgs, handDecodeGetArgs, GET],
    ["setValue_args", SET_DEF, SET_MODEL, setPool, handEncodeSetArgs, handDecodeSetArgs, SET],
  ]) {
    const ours = encodeStruct(def, value);
    assert.ok(model.toBuffer(value).equals(ours), `${label}: thriftrw toBuffer and encodeStruct differ`);
    assert.ok(pool.encode(value).equals(ours), `${label}: thriftrw poolWriteInto and encodeStruct differ`);
    assert.ok(handEncode(value).equals(ours), `${label}: the hand-written encoder and encodeStruct differ`);
    assert.deepEqual(plain(decodeStruct(def, ours)), value, `${label}: decodeStruct`);
    assert.deepEqual(plain(model.fromBuffer(ours)), value, `${label}: thriftrw fromBuffer`);
    assert.deepEqual(plain(pool.decode(ours)), value, `${label}: thriftrw poolReadFrom`);
    assert.deepEqual(handDecode(ours), value, `${label}: the hand-written decoder`);
  }
  assert.equal(SET_BYTES.length, 4 * 1024 + 25, "setValue_args: 4 KiB value plus 25 bytes of framing");

  const ours = encodeStruct(ENTRY_DEF, ENTRY);
  const theirs = ENTRY_MODEL.toBuffer(ENTRY_RW);
  assert.ok(theirs.equals(ours), "Entry: thriftrw toBuffer and encodeStruct differ");
  assert.ok(entryPool.encode(ENTRY_RW).equals(ours), "Entry: thriftrw poolWriteInto and encodeStruct differ");
  for (const bytes of [ours, theirs]) {
    assert.deepEqual(plain(decodeStruct(ENTRY_DEF, bytes)), ENTRY, "Entry: decodeStruct");
    assert.deepEqual(plain(ENTRY_MODEL.fromBuffer(bytes)), ENTRY_RW, "Entry: thriftrw fromBuffer");
    assert.deepEqual(plain(entryPool.decode(bytes)), ENTRY_RW, "Entry: thriftrw poolReadFrom");
  }
}

// ---- cases ------------------------------------------------------------------------------------
// Each `run(n)` loops n times itself (one monomorphic call site per case) and returns a value
// derived from the results, which the harness accumulates so no work can be optimized away.

const PAYLOADS = [
  ["get", `getValue_args (${GET_BYTES.length} B)`],
  ["set", `setValue_args 4 KiB (${SET_BYTES.length} B)`],
  ["entry", `Entry (${ENTRY_BYTES.length} B)`],
];
const IMPLS = ["ours", "thriftrw", "trw-pool", "hand"];
const OPS = ["encode+decode", "encode", "decode"];

const c = (payload, impl, op, run) => ({ name: `${payload} ${impl} ${op}`, payload, impl, op, run });

const CASES = [
  c("get", "ours", "encode+decode", (n) => { let s = 0; for (let i = 0; i < n; i++) s += decodeStruct(GET_DEF, encodeStruct(GET_DEF, GET)).key.length; return s; }),
  c("get", "ours", "encode", (n) => { let s = 0; for (let i = 0; i < n; i++) s += encodeStruct(GET_DEF, GET).length; return s; }),
  c("get", "ours", "decode", (n) => { let s = 0; for (let i = 0; i < n; i++) s += decodeStruct(GET_DEF, GET_BYTES).key.length; return s; }),
  c("get", "thriftrw", "encode+decode", (n) => { let s = 0; for (let i = 0; i < n; i++) s += GET_MODEL.fromBuffer(GET_MODEL.toBuffer(GET)).key.length; return s; }),
  c("get", "thriftrw", "encode", (n) => { let s = 0; for (let i = 0; i < n; i++) s += GET_MODEL.toBuffer(GET).length; return s; }),
  c("get", "thriftrw", "decode", (n) => { let s = 0; for (let i = 0; i < n; i++) s += GET_MODEL.fromBuffer(GET_BYTES).key.length; return s; }),
  c("get", "trw-pool", "encode+decode", (n) => { let s = 0; for (let i = 0; i < n; i++) s += getPool.decode(getPool.encode(GET)).key.length; return s; }),
  c("get", "trw-pool", "encode", (n) => { let s = 0; for (let i = 0; i < n; i++) s += getPool.encode(GET).length; return s; }),
  c("get", "trw-pool", "decode", (n) => { let s = 0; for (let i = 0; i < n; i++) s += getPool.decode(GET_BYTES).key.length; return s; }),
  c("get", "hand", "encode+decode", (n) => { let s = 0; for (let i = 0; i < n; i++) s += handDecodeGetArgs(handEncodeGetArgs(GET)).key.length; return s; }),
  c("get", "hand", "encode", (n) => { let s = 0; for (let i = 0; i < n; i++) s += handEncodeGetArgs(GET).length; return s; }),
  c("get", "hand", "decode", (n) => { let s = 0; for (let i = 0; i < n; i++) s += handDecodeGetArgs(GET_BYTES).key.length; return s; }),

  c("set", "ours", "encode+decode", (n) => { let s = 0; for (let i = 0; i < n; i++) s += decodeStruct(SET_DEF, encodeStruct(SET_DEF, SET)).value.length; return s; }),
  c("set", "ours", "encode", (n) => { let s = 0; for (let i = 0; i < n; i++) s += encodeStruct(SET_DEF, SET).length; return s; }),
  c("set", "ours", "decode", (n) => { let s = 0; for (let i = 0; i < n; i++) s += decodeStruct(SET_DEF, SET_BYTES).value.length; return s; }),
  c("set", "thriftrw", "encode+decode", (n) => { let s = 0; for (let i = 0; i < n; i++) s += SET_MODEL.fromBuffer(SET_MODEL.toBuffer(SET)).value.length; return s; }),
  c("set", "thriftrw", "encode", (n) => { let s = 0; for (let i = 0; i < n; i++) s += SET_MODEL.toBuffer(SET).length; return s; }),
  c("set", "thriftrw", "decode", (n) => { let s = 0; for (let i = 0; i < n; i++) s += SET_MODEL.fromBuffer(SET_BYTES).value.length; return s; }),
  c("set", "trw-pool", "encode+decode", (n) => { let s = 0; for (let i = 0; i < n; i++) s += setPool.decode(setPool.encode(SET)).value.length; return s; }),
  c("set", "trw-pool", "encode", (n) => { let s = 0; for (let i = 0; i < n; i++) s += setPool.encode(SET).length; return s; }),
  c("set", "trw-pool", "decode", (n) => { let s = 0; for (let i = 0; i < n; i++) s += setPool.decode(SET_BYTES).value.length; return s; }),
  c("set", "hand", "encode+decode", (n) => { let s = 0; for (let i = 0; i < n; i++) s += handDecodeSetArgs(handEncodeSetArgs(SET)).value.length; return s; }),
  c("set", "hand", "encode", (n) => { let s = 0; for (let i = 0; i < n; i++) s += handEncodeSetArgs(SET).length; return s; }),
  c("set", "hand", "decode", (n) => { let s = 0; for (let i = 0; i < n; i++) s += handDecodeSetArgs(SET_BYTES).value.length; return s; }),

  c("entry", "ours", "encode+decode", (n) => { let s = 0; for (let i = 0; i < n; i++) s += decodeStruct(ENTRY_DEF, encodeStruct(ENTRY_DEF, ENTRY)).tags.length; return s; }),
  c("entry", "ours", "encode", (n) => { let s = 0; for (let i = 0; i < n; i++) s += encodeStruct(ENTRY_DEF, ENTRY).length; return s; }),
  c("entry", "ours", "decode", (n) => { let s = 0; for (let i = 0; i < n; i++) s += decodeStruct(ENTRY_DEF, ENTRY_BYTES).tags.length; return s; }),
  c("entry", "thriftrw", "encode+decode", (n) => { let s = 0; for (let i = 0; i < n; i++) s += ENTRY_MODEL.fromBuffer(ENTRY_MODEL.toBuffer(ENTRY_RW)).tags.length; return s; }),
  c("entry", "thriftrw", "encode", (n) => { let s = 0; for (let i = 0; i < n; i++) s += ENTRY_MODEL.toBuffer(ENTRY_RW).length; return s; }),
  c("entry", "thriftrw", "decode", (n) => { let s = 0; for (let i = 0; i < n; i++) s += ENTRY_MODEL.fromBuffer(ENTRY_BYTES).tags.length; return s; }),
  c("entry", "trw-pool", "encode+decode", (n) => { let s = 0; for (let i = 0; i < n; i++) s += entryPool.decode(entryPool.encode(ENTRY_RW)).tags.length; return s; }),
  c("entry", "trw-pool", "encode", (n) => { let s = 0; for (let i = 0; i < n; i++) s += entryPool.encode(ENTRY_RW).length; return s; }),
  c("entry", "trw-pool", "decode", (n) => { let s = 0; for (let i = 0; i < n; i++) s += entryPool.decode(ENTRY_BYTES).tags.length; return s; }),
];

/** Head-to-head ratios, ours relative to each other implementation, per payload and op. */
const RIVALS = ["thriftrw", "trw-pool", "hand"];

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
console.log(`@tchannel/thrift codec microbenchmark${QUICK ? " (--quick)" : ""}`);
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

console.log("| case | median ops/s | min - max ops/s | median time/op |");
console.log("|---|---:|---:|---:|");
for (const c of CASES) {
  const ops = median(c.samples);
  console.log(`| ${c.name} | ${fmtInt(ops)} | ${fmtOps(Math.min(...c.samples))} - ${fmtOps(Math.max(...c.samples))} | ${fmtNs(1e9 / ops)} |`);
}

// Summary: median ops/s per implementation, then ours/rival ratios computed per round.
const find = (payload, impl, op) => CASES.find((c) => c.payload === payload && c.impl === impl && c.op === op);
const ratio = (a, b) => {
  const rs = a.samples.map((x, i) => x / b.samples[i]);
  return `${median(rs).toFixed(2)}x (${Math.min(...rs).toFixed(2)}-${Math.max(...rs).toFixed(2)})`;
};
console.log(`\n| payload | op | ${IMPLS.join(" | ")} | ${RIVALS.map((r) => `ours/${r}`).join(" | ")} |`);
console.log(`|---|---|${IMPLS.map(() => "---:").join("|")}|${RIVALS.map(() => "---:").join("|")}|`);
for (const [payload, label] of PAYLOADS) {
  for (const op of OPS) {
    const ours = find(payload, "ours", op);
    const opsCells = IMPLS.map((impl) => {
      const c = find(payload, impl, op);
      return c ? fmtOps(median(c.samples)) : "-";
    });
    const ratioCells = RIVALS.map((impl) => {
      const c = find(payload, impl, op);
      return c ? ratio(ours, c) : "-";
    });
    console.log(`| ${label} | ${op} | ${opsCells.join(" | ")} | ${ratioCells.join(" | ")} |`);
  }
}

const peakRssMb = (process.resourceUsage().maxRSS / 1024).toFixed(1); // maxRSS is in KiB
console.log(`\nops/s medians; ratios > 1 mean ours is faster (median over rounds, min-max in parentheses).`);
console.log(`Measured ${seconds.toFixed(1)} s; peak RSS ${peakRssMb} MiB; node ${process.version}.`);
if (sink === 42) console.log(""); // keeps `sink` observable
