// Test helpers for a real Hyperbahn mesh: Uber's Hyperbahn 2.20.1 router (peers/hyperbahn, a
// standalone npm project installed by `scripts/install-peers.sh hyperbahn`, one process per node
// started by peers/hyperbahn/hb-server.js), services advertised to it with tchannel-node 4.0.1's
// own HyperbahnClient (peers/node-server.js --hyperbahn), calls routed through it with
// tchannel-node (peers/node-client.js hyperbahnRouters) or Uber's tcurl 4.23.1 (-P hosts.json),
// and a frame-decoding TCP tap to see what goes over the wire. Everything listens on 127.0.0.1.
// No Jest dependency; meant for *.test.ts files (Jest compiles them to CommonJS: __dirname).
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo, type Server, type Socket, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FrameReader, FrameType, decodeFrame, errorCodeName, frameTypeName } from "@tchannel/frame";
import {
  type CliResult,
  NODE_SERVER_JS,
  type NodeClientCall,
  type NodeClientResult,
  type NodeClientSpec,
  PEERS_DIR,
  UBER_TCURL_JS,
  peersNode,
  runInstallScript,
  track,
  runNodeClient,
  runUberTcurl,
} from "./peers.js";

/** packages/interop/peers/hyperbahn: the standalone npm project holding hyperbahn 2.20.1. */
export const HYPERBAHN_DIR: string = join(PEERS_DIR, "hyperbahn");
/** Starts one router node; see its header for the flags. */
export const HB_SERVER_JS: string = join(HYPERBAHN_DIR, "hb-server.js");

const STDERR_TAIL = 4000;
/** Output kept per process (the router logs every connection event at info level). */
const KEEP_OUTPUT = 512 * 1024;

/** Uber's Hyperbahn 2.20.1 in peers/hyperbahn (npm ci, ~20 s from a cold npm cache). */
export function ensureHyperbahnInstalled(): void {
  runInstallScript("hyperbahn");
}

// ---- process plumbing -----------------------------------------------------------------------

function tail(s: string, n = STDERR_TAIL): string {
  return s.length > n ? `…${s.slice(-n)}` : s;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** SIGTERM, wait for the exit (SIGKILL after `graceMs`). */
async function terminate(child: ChildProcess, graceMs: number): Promise<void> {
  if (exited(child)) return;
  const done = new Promise<void>((r) => child.once("exit", () => r()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await done;
  clearTimeout(timer);
}

/** A spawned process whose stdout is read line by line and whose stderr is kept (capped). */
interface Proc {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first stdout line matching `re`; rejects if the process exits first or after `timeoutMs`. */
  waitForLine(re: RegExp, timeoutMs: number, what: string): Promise<RegExpExecArray>;
  onLine(fn: (line: string) => void): void;
}

function spawnProc(script: string, args: string[], cwd: string): Proc {
  const child = spawn(peersNode(), [script, ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
  track(child);
  let stdout = "";
  let stderr = "";
  let partial = "";
  const lines: string[] = [];
  const listeners: Array<(line: string) => void> = [];
  child.stdout!.setEncoding("utf8");
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (d: string) => {
    stderr += d;
    if (stderr.length > KEEP_OUTPUT * 2) stderr = stderr.slice(-KEEP_OUTPUT);
  });
  child.stdout!.on("data", (d: string) => {
    stdout += d;
    if (stdout.length > KEEP_OUTPUT * 2) stdout = stdout.slice(-KEEP_OUTPUT);
    partial += d;
    let nl: number;
    while ((nl = partial.indexOf("\n")) >= 0) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      lines.push(line);
      for (const fn of listeners) fn(line);
    }
  });
  child.once("error", () => {
    // reported through the exit/close paths and waitForLine
  });
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    onLine: (fn) => {
      listeners.push(fn);
    },
    waitForLine(re, timeoutMs, what) {
      for (const l of lines) {
        const m = re.exec(l);
        if (m) return Promise.resolve(m);
      }
      return new Promise<RegExpExecArray>((resolve, reject) => {
        let settled = false;
        const finish = (err: Error | null, m?: RegExpExecArray): void => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          child.removeListener("exit", onExit);
          child.removeListener("error", onError);
          if (err) reject(err);
          else resolve(m!);
        };
        const timer = setTimeout(
          () => finish(new Error(`${what}: no ${re} on stdout within ${timeoutMs} ms\nstderr: ${tail(stderr)}`)),
          timeoutMs,
        );
        const onExit = (code: number | null, signal: string | null): void =>
          finish(new Error(`${what}: exited (code ${code}, signal ${signal}) before ${re}\nstdout: ${tail(stdout)}\nstderr: ${tail(stderr)}`));
        const onError = (err: Error): void => finish(new Error(`${what}: spawn failed: ${err.message}`));
        child.once("exit", onExit);
        child.once("error", onError);
        listeners.push((line) => {
          const m = re.exec(line);
          if (m) finish(null, m);
        });
        if (exited(child)) onExit(child.exitCode, child.signalCode);
      });
    },
  };
}

/** `n` distinct free TCP ports on 127.0.0.1 (all bound at once, then released). */
export async function pickFreePorts(n: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const srv = createServer();
      servers.push(srv);
      await new Promise<void>((resolve, reject) => {
        srv.once("error", reject);
        srv.listen(0, "127.0.0.1", () => resolve());
      });
    }
    return servers.map((s) => (s.address() as AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

// ---- the router cluster ---------------------------------------------------------------------

export interface HyperbahnClusterOptions {
  /** Number of router nodes; default 2. */
  nodes?: number;
  /**
   * Hyperbahn's `peerReaper.period` (ms): a service peer not re-advertised is dropped after one to
   * two periods. Default 0 = never (hyperbahn's own default; dead services then stay registered
   * and calls to them get NetworkError ECONNREFUSED).
   */
  reapMs?: number;
  /** More hyperbahn remote config, key -> value (e.g. {"kValue.services": {"svc": 1}}). */
  remoteConfig?: Record<string, unknown>;
  /** Ports to use; default free ports picked first. */
  ports?: number[];
  /** Whole-cluster start (and restart) timeout; default 30 000 ms. */
  startTimeoutMs?: number;
}

export interface HyperbahnNode {
  /** "127.0.0.1:PORT". */
  hostPort: string;
  port: number;
  /** The current process's pid (changes on restart). */
  pid(): number;
  /** Everything this node wrote to stderr (hyperbahn's JSON log lines), all incarnations, capped. */
  stderr(): string;
  running(): boolean;
}

export interface HyperbahnCluster {
  /** The routers' host:ports, index = node index. */
  routers: string[];
  nodes: HyperbahnNode[];
  /** How long startHyperbahnCluster took (spawn to every node healthy with a full ring). */
  startMs: number;
  /** Writes `routers` as a JSON array to a file (for `tcurl -P`, HyperbahnClient hostPortFile); returns its path. */
  hostsFile(): string;
  /** Stops node `index` (SIGTERM: hyperbahn drains) and starts it again on the same port; resolves when the ring is whole again. */
  restart(index: number): Promise<void>;
  /** Stops every node (SIGTERM, SIGKILL after 10 s). Idempotent. */
  stop(): Promise<void>;
}

interface NodeState {
  port: number;
  hostPort: string;
  proc: Proc | null;
  log: string;
}

/**
 * Starts `nodes` Hyperbahn routers on 127.0.0.1, bootstrapped into one ringpop ring, and resolves
 * once every node printed LISTENING (hb-server.js waits until its own ring holds every node),
 * answers `autobahn`/`health_v1` and reports the full ring on `ringpop`/`/admin/stats`. Needs
 * ensureHyperbahnInstalled() and, for the health checks (tchannel-node's node-client.js),
 * ensurePeersInstalled(). Rejects after `startTimeoutMs` (30 s) with every node's stderr tail.
 */
export async function startHyperbahnCluster(opts: HyperbahnClusterOptions = {}): Promise<HyperbahnCluster> {
  if (!existsSync(join(HYPERBAHN_DIR, "node_modules", "hyperbahn"))) {
    throw new Error("hyperbahn is not installed; call ensureHyperbahnInstalled() first");
  }
  if (!existsSync(join(PEERS_DIR, "node_modules", "tchannel"))) {
    throw new Error("tchannel-node is not installed; call ensurePeersInstalled() first");
  }
  const t0 = Date.now();
  const count = opts.nodes ?? 2;
  const ports = opts.ports ?? (await pickFreePorts(count));
  if (ports.length !== count) throw new Error(`expected ${count} ports, got ${ports.length}`);
  const routers = ports.map((p) => `127.0.0.1:${p}`);
  const timeoutMs = opts.startTimeoutMs ?? 30000;
  const states: NodeState[] = ports.map((port, i) => ({ port, hostPort: routers[i]!, proc: null, log: "" }));
  let stopped = false;
  let hostsDir: string | null = null;

  const stderrOf = (s: NodeState): string => s.log + (s.proc ? s.proc.stderr() : "");

  function spawnNode(s: NodeState): Proc {
    const args = ["--port", String(s.port), "--bootstrap", routers.join(","), "--reap-ms", String(opts.reapMs ?? 0)];
    if (opts.remoteConfig) args.push("--remote-config", JSON.stringify(opts.remoteConfig));
    s.proc = spawnProc(HB_SERVER_JS, args, HYPERBAHN_DIR);
    return s.proc;
  }

  async function stopNode(s: NodeState): Promise<void> {
    const proc = s.proc;
    if (!proc) return;
    await terminate(proc.child, 10000);
    s.log += proc.stderr() + `\n[harness] node ${s.hostPort} pid ${proc.child.pid} exited (code ${proc.child.exitCode}, signal ${proc.child.signalCode})\n`;
    if (s.log.length > KEEP_OUTPUT * 2) s.log = s.log.slice(-KEEP_OUTPUT);
    s.proc = null;
  }

  function failure(why: string): Error {
    const logs = states.map((s) => `--- ${s.hostPort} stderr:\n${tail(stderrOf(s), 3000)}`).join("\n");
    return new Error(`hyperbahn cluster: ${why}\n${logs}`);
  }

  /** Every node answers health_v1 and lists every router in its ring. */
  async function waitHealthy(deadline: number): Promise<void> {
    let last = "";
    for (;;) {
      const problems: string[] = [];
      await Promise.all(
        states.map(async (s) => {
          try {
            const [health, stats] = await runNodeClient(
              {
                hostPort: s.hostPort,
                service: "autobahn",
                callerName: "hyperbahn-harness",
                calls: [
                  { scheme: "json", endpoint: "health_v1", timeout: 1000, retryLimit: 0 },
                  { scheme: "raw", service: "ringpop", endpoint: "/admin/stats", timeout: 1000, retryLimit: 0 },
                ],
              },
              { timeoutMs: 10000 },
            );
            if (!health?.ok || health.body !== "hello from autobahn\n") {
              problems.push(`${s.hostPort} health_v1: ${JSON.stringify(health?.error ?? health?.body)}`);
              return;
            }
            const ring: string[] = stats?.ok ? (JSON.parse(String(stats.body?.utf8)).ring?.servers ?? []) : [];
            const missing = routers.filter((r) => !ring.includes(r));
            if (missing.length) problems.push(`${s.hostPort} ring lacks ${missing.join(",")}`);
          } catch (err) {
            problems.push(`${s.hostPort}: ${(err as Error).message.split("\n")[0]}`);
          }
        }),
      );
      if (problems.length === 0) return;
      last = problems.join("; ");
      if (Date.now() > deadline) throw failure(`not healthy within ${timeoutMs} ms: ${last}`);
      await sleep(200);
    }
  }

  async function stopAll(): Promise<void> {
    stopped = true;
    await Promise.all(states.map((s) => stopNode(s)));
    if (hostsDir) rmSync(hostsDir, { recursive: true, force: true });
    hostsDir = null;
  }

  const deadline = t0 + timeoutMs;
  try {
    await Promise.all(
      states.map((s) => spawnNode(s).waitForLine(/^LISTENING (\S+)$/, Math.max(1, deadline - Date.now()), `hyperbahn node ${s.hostPort}`)),
    );
    await waitHealthy(deadline);
  } catch (err) {
    const e = (err as Error).message.startsWith("hyperbahn cluster:") ? (err as Error) : failure((err as Error).message.split("\n")[0] ?? "");
    await stopAll();
    throw e;
  }

  return {
    routers,
    startMs: Date.now() - t0,
    nodes: states.map((s) => ({
      hostPort: s.hostPort,
      port: s.port,
      pid: () => s.proc?.child.pid ?? -1,
      stderr: () => stderrOf(s),
      running: () => !!s.proc && !exited(s.proc.child),
    })),
    hostsFile() {
      if (!hostsDir) hostsDir = mkdtempSync(join(tmpdir(), "hyperbahn-hosts-"));
      const file = join(hostsDir, "hosts.json");
      writeFileSync(file, `${JSON.stringify(routers)}\n`);
      return file;
    },
    async restart(index: number) {
      const s = states[index];
      if (!s) throw new Error(`no node ${index}`);
      if (stopped) throw new Error("cluster is stopped");
      await stopNode(s);
      const restartDeadline = Date.now() + timeoutMs;
      await spawnNode(s).waitForLine(/^LISTENING (\S+)$/, timeoutMs, `hyperbahn node ${s.hostPort} (restart)`);
      await waitHealthy(restartDeadline);
    },
    stop: stopAll,
  };
}

// ---- a tchannel-node service advertised to the routers ---------------------------------------

export interface AdvertisedEvent {
  service: string;
  hostPort: string;
  /** 1 for the first successful `ad`, then one per re-advertisement. */
  count: number;
  /** The `ad` response body, e.g. {connectionCount: 2}. */
  result: unknown;
  /** When the harness read the line (Date.now()). */
  at: number;
}

export interface IncomingConnectionEvent {
  direction: string;
  /** The init req's host_port of whoever connected (a router: its own host:port). */
  remoteName: string;
  socketRemoteAddr: string;
  at: number;
}

export interface HyperbahnService {
  /** The service's listening "127.0.0.1:PORT" (what it sends as init host_port). */
  hostPort: string;
  services: string[];
  pid: number;
  /** Every successful (re-)advertisement so far. */
  advertisements(): AdvertisedEvent[];
  /** Incoming connections (from routers) once identified. */
  connections(): IncomingConnectionEvent[];
  /** Advertisement failures reported by HyperbahnClient. */
  failures(): Array<{ service: string; error: string }>;
  stderr(): string;
  /** SIGUSR2: stop re-advertising (no `unad`), so a router with a reap period drops it. */
  stopAdvertising(): Promise<void>;
  /** SIGTERM: `unad`, close, exit (SIGKILL after 5 s). Idempotent. */
  stop(): Promise<void>;
}

export interface HyperbahnServiceOptions {
  /** Routers to advertise to (HyperbahnClient hostPortList). */
  routers: string[];
  /** Service name(s): raw echo/slow/inspect/…, json echo/add/fail (see peers/node-server.js). */
  service: string | string[];
  /** Also serve peers/keyvalue.thrift on these names (advertised too). */
  thriftKeyValue?: string | string[];
  /**
   * HyperbahnClient advertiseInterval; it re-advertises after interval ±50 %. Default 500 ms, i.e.
   * every 250-750 ms: keep it well under the cluster's reapMs.
   */
  advertiseIntervalMs?: number;
  /** Wait for LISTENING + the first ADVERTISED of every service; default 20 000 ms. */
  startTimeoutMs?: number;
}

/**
 * Starts peers/node-server.js (tchannel-node 4.0.1) on an ephemeral 127.0.0.1 port and advertises
 * each service to `routers` with tchannel-node's HyperbahnClient; resolves after the first
 * successful `ad` of every service.
 */
export async function startNodeServiceOnHyperbahn(opts: HyperbahnServiceOptions): Promise<HyperbahnService> {
  if (!existsSync(join(PEERS_DIR, "node_modules", "tchannel"))) {
    throw new Error("tchannel-node is not installed; call ensurePeersInstalled() first");
  }
  const services = Array.isArray(opts.service) ? opts.service : [opts.service];
  const thrift = opts.thriftKeyValue === undefined ? [] : Array.isArray(opts.thriftKeyValue) ? opts.thriftKeyValue : [opts.thriftKeyValue];
  const args: string[] = [];
  for (const s of services) args.push("--service", s);
  for (const s of thrift) args.push("--thrift-keyvalue", s);
  args.push("--port", "0", "--host", "127.0.0.1");
  args.push("--hyperbahn", opts.routers.join(","), "--advertise-interval", String(opts.advertiseIntervalMs ?? 500));
  const proc = spawnProc(NODE_SERVER_JS, args, PEERS_DIR);
  const ads: AdvertisedEvent[] = [];
  const conns: IncomingConnectionEvent[] = [];
  const failures: Array<{ service: string; error: string }> = [];
  proc.onLine((line) => {
    const m = /^(ADVERTISED|CONNECTION|ADVERTISE-FAILED) (\{.*\})$/.exec(line);
    if (!m) return;
    try {
      const ev = JSON.parse(m[2]!);
      if (m[1] === "ADVERTISED") ads.push({ ...ev, at: Date.now() });
      else if (m[1] === "CONNECTION") conns.push({ ...ev, at: Date.now() });
      else failures.push(ev);
    } catch {
      // not ours
    }
  });
  const timeoutMs = opts.startTimeoutMs ?? 20000;
  const what = `node-server --hyperbahn (${services.join(",")})`;
  try {
    const m = await proc.waitForLine(/^LISTENING (\S+)$/, timeoutMs, what);
    for (const s of [...services, ...thrift]) {
      const re = new RegExp(`^ADVERTISED \\{"service":${escapeRegExp(JSON.stringify(s))},`);
      await proc.waitForLine(re, timeoutMs, `${what}: advertise ${s}`);
    }
    const hostPort = m[1]!;
    let stopping: Promise<void> | null = null;
    return {
      hostPort,
      services: [...services, ...thrift],
      pid: proc.child.pid ?? -1,
      advertisements: () => ads.slice(),
      connections: () => conns.slice(),
      failures: () => failures.slice(),
      stderr: proc.stderr,
      async stopAdvertising() {
        if (exited(proc.child)) return;
        proc.child.kill("SIGUSR2");
        await proc.waitForLine(/^ADVERTISING-STOPPED/, 5000, `${what}: stop advertising`);
      },
      stop() {
        stopping ??= terminate(proc.child, 5000);
        return stopping;
      },
    };
  } catch (err) {
    proc.child.kill("SIGKILL");
    throw err;
  }
}

// ---- calls through a router ------------------------------------------------------------------

export interface HyperbahnCallOptions {
  /** Routers to send the call to (tchannel-node picks one per call; tcurl -P picks one). */
  routers: string[];
  service: string;
  endpoint: string;
  /** Default "raw". */
  scheme?: "raw" | "json";
  /** raw: a string; json: any JSON value (arg3). */
  body?: unknown;
  /** raw: a string; json: an object (arg2). */
  headers?: unknown;
  /** ms; default 3000. (Uber's tcurl defaults to 100 ms, too short for a first call via a router.) */
  timeout?: number;
  /** "node" (default): tchannel-node's HyperbahnClient.getClientChannel; "tcurl": Uber's tcurl -P hosts.json. */
  via?: "node" | "tcurl";
  /** cn; default "hyperbahn-harness" (node); tcurl always sends cn "tcurl". */
  callerName?: string;
  /** node only: tchannel-node retry flags, e.g. "n" (never; default: tchannel-node's "c"). */
  retryFlags?: string;
  /** node only. */
  retryLimit?: number;
}

export interface HyperbahnCallResult {
  via: "node" | "tcurl";
  /** A call res with code 0. */
  ok: boolean;
  /** raw: arg2 as UTF-8 (node only; tcurl prints arg3 only); json: parsed arg2. */
  headers: unknown;
  /** raw: arg3 as UTF-8; json: parsed arg3 (the error object for ok:false). */
  body: unknown;
  /** An error frame (or a local failure). */
  error?: { code?: number; codeName?: string | null; type?: string; message: string };
  /** What the underlying client produced. */
  node?: NodeClientResult;
  tcurl?: CliResult;
}

/**
 * One call routed through the Hyperbahn routers, made by tchannel-node 4.0.1 (a HyperbahnClient
 * that never listens or advertises: init host_port 0.0.0.0:0) or by Uber's tcurl 4.23.1
 * (`tcurl -P hosts.json`; needs ensureUberTcurlInstalled()).
 */
export async function callThroughHyperbahnWithNode(opts: HyperbahnCallOptions): Promise<HyperbahnCallResult> {
  const scheme = opts.scheme ?? "raw";
  const timeout = opts.timeout ?? 3000;
  if ((opts.via ?? "node") === "node") {
    const call: NodeClientCall = { scheme, endpoint: opts.endpoint, timeout };
    if (opts.body !== undefined) call.body = opts.body;
    if (opts.headers !== undefined) call.headers = opts.headers as NodeClientCall["headers"];
    if (opts.retryFlags !== undefined) call.retryFlags = opts.retryFlags;
    if (opts.retryLimit !== undefined) call.retryLimit = opts.retryLimit;
    const spec: NodeClientSpec & { hyperbahnRouters: string[] } = {
      hostPort: opts.routers[0] ?? "",
      hyperbahnRouters: opts.routers,
      service: opts.service,
      callerName: opts.callerName ?? "hyperbahn-harness",
      calls: [call],
    };
    const [r] = await runNodeClient(spec, { timeoutMs: timeout + 20000 });
    if (!r) throw new Error("node-client returned no result");
    const out: HyperbahnCallResult = {
      via: "node",
      ok: r.ok,
      headers: scheme === "raw" ? (r.headers?.utf8 ?? null) : (r.headers ?? null),
      body: scheme === "raw" ? (r.body?.utf8 ?? null) : (r.body ?? null),
      node: r,
    };
    if (r.error) out.error = r.error;
    return out;
  }

  if (!existsSync(UBER_TCURL_JS)) throw new Error("Uber's tcurl is not installed; call ensureUberTcurlInstalled() first");
  const dir = mkdtempSync(join(tmpdir(), "hyperbahn-tcurl-"));
  try {
    const hosts = join(dir, "hosts.json");
    writeFileSync(hosts, JSON.stringify(opts.routers));
    const args = ["-P", hosts, opts.service, opts.endpoint, scheme === "raw" ? "--raw" : "-j", "--timeout", String(timeout)];
    if (opts.headers !== undefined) args.push("-2", scheme === "raw" ? String(opts.headers) : JSON.stringify(opts.headers));
    if (opts.body !== undefined) args.push("-3", scheme === "raw" ? String(opts.body) : JSON.stringify(opts.body));
    const res = await runUberTcurl(args, { timeoutMs: timeout + 20000 });
    let parsed: any = null;
    try {
      parsed = JSON.parse(res.stdout);
    } catch {
      parsed = null;
    }
    if (res.code === 0 && scheme === "raw") {
      return { via: "tcurl", ok: true, headers: null, body: res.stdout, tcurl: res };
    }
    if (parsed && parsed.isErrorFrame) {
      return {
        via: "tcurl",
        ok: false,
        headers: null,
        body: null,
        error: { code: parsed.errorCode, codeName: errorCodeName(parsed.errorCode), type: parsed.type, message: parsed.message },
        tcurl: res,
      };
    }
    if (parsed && typeof parsed.ok === "boolean") {
      return { via: "tcurl", ok: parsed.ok, headers: parsed.head ?? null, body: parsed.body ?? null, tcurl: res };
    }
    return {
      via: "tcurl",
      ok: false,
      headers: null,
      body: res.stdout,
      error: { message: `tcurl exit ${res.code}: ${tail(res.stderr, 500).trim()}` },
      tcurl: res,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Calls `fn` until `accept(result)` or `timeoutMs` passes (every `intervalMs`); resolves with the
 * last result and how long it took.
 */
export async function pollUntil<T>(
  fn: () => Promise<T>,
  accept: (r: T) => boolean,
  opts: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<{ result: T; ms: number; accepted: boolean }> {
  const t0 = Date.now();
  const timeoutMs = opts.timeoutMs ?? 10000;
  for (;;) {
    const result = await fn();
    if (accept(result)) return { result, ms: Date.now() - t0, accepted: true };
    if (Date.now() - t0 > timeoutMs) return { result, ms: Date.now() - t0, accepted: false };
    await sleep(opts.intervalMs ?? 200);
  }
}

// ---- a frame-decoding TCP tap ----------------------------------------------------------------

export interface TapFrame {
  /** Connection number on the tap (1, 2, …). */
  conn: number;
  /** "c2s": from whoever connected to the tap, to the target; "s2c": back. */
  dir: "c2s" | "s2c";
  /** ms since the tap started. */
  at: number;
  type: string;
  id: number;
  /** init: init headers; call req/res: transport headers. */
  headers?: Record<string, string>;
  service?: string;
  ttl?: number;
  /** call res / error frame code. */
  code?: number;
  codeName?: string;
  message?: string;
  checksumType?: number;
  /** arg chunks of a call req/res/continue frame, UTF-8. */
  args?: string[];
  /** A decode failure, or a close: "closed by client" / "closed by target". */
  note?: string;
}

export interface FrameTap {
  /** Point the client here ("127.0.0.1:PORT"). */
  hostPort: string;
  frames(): TapFrame[];
  stop(): Promise<void>;
}

/**
 * A TCP proxy on 127.0.0.1 in front of `target` that decodes (with @tchannel/frame) and records
 * every TChannel frame in both directions, byte-for-byte forwarded. Frames are recorded one by one
 * (a fragmented message shows up as several frames).
 */
export async function startFrameTap(target: string): Promise<FrameTap> {
  const idx = target.lastIndexOf(":");
  const host = target.slice(0, idx);
  const port = Number(target.slice(idx + 1));
  const t0 = Date.now();
  const frames: TapFrame[] = [];
  const sockets = new Set<Socket>();
  let n = 0;

  function recorder(conn: number, dir: "c2s" | "s2c"): (chunk: Buffer) => void {
    const reader = new FrameReader();
    let broken = false;
    return (chunk) => {
      if (broken) return;
      try {
        reader.push(chunk, (bytes) => {
          const at = Date.now() - t0;
          try {
            const f = decodeFrame(bytes);
            const rec: TapFrame = { conn, dir, at, type: frameTypeName(f.type), id: f.id };
            switch (f.type) {
              case FrameType.InitReq:
              case FrameType.InitRes:
                rec.headers = { ...f.headers };
                break;
              case FrameType.CallReq:
                rec.service = f.service;
                rec.ttl = f.ttl;
                rec.headers = { ...f.headers };
                rec.checksumType = f.checksumType;
                rec.args = f.args.map((a) => Buffer.from(a).toString("utf8"));
                break;
              case FrameType.CallRes:
                rec.code = f.code;
                rec.headers = { ...f.headers };
                rec.checksumType = f.checksumType;
                rec.args = f.args.map((a) => Buffer.from(a).toString("utf8"));
                break;
              case FrameType.CallReqContinue:
              case FrameType.CallResContinue:
                rec.args = f.args.map((a) => Buffer.from(a).toString("utf8"));
                break;
              case FrameType.Error:
                rec.code = f.code;
                rec.codeName = errorCodeName(f.code);
                rec.message = f.message;
                break;
              default:
                break;
            }
            frames.push(rec);
          } catch (err) {
            frames.push({ conn, dir, at, type: `0x${bytes[2]?.toString(16)}`, id: bytes.readUInt32BE(4), note: `decode failed: ${(err as Error).message}` });
          }
        });
      } catch (err) {
        broken = true;
        frames.push({ conn, dir, at: Date.now() - t0, type: "?", id: -1, note: `framing lost: ${(err as Error).message}` });
      }
    };
  }

  const server = createServer((client) => {
    const conn = ++n;
    const upstream = connect(port, host);
    sockets.add(client);
    sockets.add(upstream);
    const c2s = recorder(conn, "c2s");
    const s2c = recorder(conn, "s2c");
    client.on("data", (d: Buffer) => {
      c2s(d);
      upstream.write(d);
    });
    upstream.on("data", (d: Buffer) => {
      s2c(d);
      client.write(d);
    });
    let closed = false;
    const close = (by: string) => (): void => {
      if (!closed) {
        closed = true;
        frames.push({ conn, dir: by === "client" ? "c2s" : "s2c", at: Date.now() - t0, type: "close", id: -1, note: `closed by ${by}` });
      }
      client.destroy();
      upstream.destroy();
    };
    client.on("close", close("client"));
    upstream.on("close", close("target"));
    client.on("error", () => {});
    upstream.on("error", () => {});
    client.once("close", () => sockets.delete(client));
    upstream.once("close", () => sockets.delete(upstream));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const hostPort = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    hostPort,
    frames: () => frames.slice(),
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
