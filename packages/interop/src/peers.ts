// Test helpers that drive Uber's tchannel-node 4.0.1 (installed in ../peers by
// ../scripts/install-peers.sh) as a reference peer: a server process and a one-shot client
// process. No Jest dependency; meant to be used from *.test.ts files (Jest compiles them to
// CommonJS, which is where __dirname comes from).
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

/** packages/interop */
export const PACKAGE_DIR: string = resolve(__dirname, "..");
/** packages/interop/peers: the standalone npm project holding tchannel-node. */
export const PEERS_DIR: string = join(PACKAGE_DIR, "peers");
export const INSTALL_SCRIPT: string = join(PACKAGE_DIR, "scripts", "install-peers.sh");
export const NODE_SERVER_JS: string = join(PEERS_DIR, "node-server.js");
export const NODE_CLIENT_JS: string = join(PEERS_DIR, "node-client.js");
/** The KeyValue IDL node-server.js serves with --thrift-keyvalue and node-client.js uses by default. */
export const KEYVALUE_THRIFT: string = join(PEERS_DIR, "keyvalue.thrift");
/** tchannel-node's own Meta IDL (Meta::health, Meta::thriftIDL), used by node-client.js for Meta::*. */
export const NODE_META_THRIFT: string = join(PEERS_DIR, "node_modules", "tchannel", "as", "meta.thrift");

const STDERR_TAIL = 4000;

const installedProjects = new Set<string>();

/**
 * Runs scripts/install-peers.sh [project] synchronously (npm ci of that standalone npm project,
 * skipped when already installed from the same lockfile), at most once per project and process.
 * Throws with the script's output on failure.
 */
export function runInstallScript(project?: "uber-tcurl" | "hyperbahn"): void {
  const key = project ?? "tchannel-node";
  if (installedProjects.has(key)) return;
  const args = project === undefined ? [INSTALL_SCRIPT] : [INSTALL_SCRIPT, project];
  const res = spawnSync("bash", args, {
    cwd: PACKAGE_DIR,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 15 * 60 * 1000,
  });
  if (res.error || res.status !== 0) {
    const output = `${res.stdout ?? ""}${res.stderr ?? ""}`.slice(-STDERR_TAIL);
    throw new Error(`install-peers.sh ${project ?? ""} failed (${res.error ? res.error.message : `exit ${res.status}`}):\n${output}`);
  }
  installedProjects.add(key);
}

let peersNodePath: string | undefined;

/**
 * The node binary the peers run on: install-peers.sh's pinned line (PEERS_NODE_MAJOR), installed
 * by scripts/install-node.sh on first use, whatever Node runs this process. Interop is our code on
 * the user's Node against the peers as deployed (Hyperbahn 2.20.1 does not run on Node 23+).
 */
export function peersNode(): string {
  if (peersNodePath === undefined) {
    const res = spawnSync("bash", [INSTALL_SCRIPT, "node"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 5 * 60 * 1000 });
    const path = (res.stdout ?? "").trim();
    if (res.error || res.status !== 0 || !existsSync(path)) {
      throw new Error(`install-peers.sh node failed (${res.error ? res.error.message : `exit ${res.status}`}):\n${`${res.stdout ?? ""}${res.stderr ?? ""}`.slice(-STDERR_TAIL)}`);
    }
    peersNodePath = path;
  }
  return peersNodePath;
}

/** tchannel-node 4.0.1 in ../peers (npm ci, ~10 s the first time). */
export function ensurePeersInstalled(): void {
  runInstallScript();
}

// Children still running when the test process exits are killed.
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;
export function track(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once("exit", () => {
      for (const c of liveChildren) c.kill("SIGKILL");
    });
  }
  liveChildren.add(child);
  child.once("exit", () => liveChildren.delete(child));
}

function tail(s: string): string {
  return s.length > STDERR_TAIL ? `…${s.slice(-STDERR_TAIL)}` : s;
}

export interface NodeServerOptions {
  /**
   * Service name(s) to register the raw/json endpoints on; default "node-server" (none when only
   * `thriftKeyValue` is given).
   */
  service?: string | string[];
  /**
   * Service name(s) to serve peers/keyvalue.thrift on (as/thrift): KeyValue::getValue /
   * KeyValue::setValue over an in-memory store (thrift head echoed back, NotFoundError in the
   * `notFound` result field for missing keys), plus tchannel-node's Meta::health (via
   * isHealthy) and Meta::thriftIDL.
   */
  thriftKeyValue?: string | string[];
  /** Default 0 (ephemeral). */
  port?: number;
  /** Default "127.0.0.1". */
  host?: string;
  /** Also log tchannel-node's info/debug messages to stderr. */
  verbose?: boolean;
  /** How long to wait for the LISTENING line; default 20 000 ms. */
  startTimeoutMs?: number;
}

export interface NodeServer {
  /** "127.0.0.1:PORT" as tchannel-node reports it. */
  hostPort: string;
  host: string;
  port: number;
  pid: number;
  /** Everything the server wrote to stderr so far (tchannel-node warn/error logs). */
  stderr(): string;
  /** SIGTERM, wait for exit (SIGKILL after 5 s). Idempotent. */
  stop(): Promise<void>;
  /** How the process ended (null while running); a clean stop() gives code 0. */
  exitStatus(): { code: number | null; signal: NodeJS.Signals | null } | null;
}

/**
 * Spawns peers/node-server.js (tchannel-node 4.0.1) and resolves once it prints
 * `LISTENING host:port`. Endpoints: raw echo, slow, app-error, error, inspect; json add,
 * fail, echo; with `thriftKeyValue`, thrift KeyValue::* and Meta::* (see the header of
 * peers/node-server.js). Rejects with the stderr tail if the
 * process exits or does not listen within 20 s.
 */
export function startNodeServer(opts: NodeServerOptions = {}): Promise<NodeServer> {
  const args = [NODE_SERVER_JS];
  const services = opts.service === undefined ? [] : Array.isArray(opts.service) ? opts.service : [opts.service];
  for (const s of services) args.push("--service", s);
  const thriftServices = opts.thriftKeyValue === undefined ? [] : Array.isArray(opts.thriftKeyValue) ? opts.thriftKeyValue : [opts.thriftKeyValue];
  for (const s of thriftServices) args.push("--thrift-keyvalue", s);
  args.push("--port", String(opts.port ?? 0), "--host", opts.host ?? "127.0.0.1");
  if (opts.verbose) args.push("--verbose");
  if (!existsSync(join(PEERS_DIR, "node_modules", "tchannel"))) {
    return Promise.reject(new Error("tchannel-node is not installed; call ensurePeersInstalled() first"));
  }

  let node: string;
  try {
    node = peersNode();
  } catch (err) {
    return Promise.reject(err);
  }
  const child = spawn(node, args, { cwd: PEERS_DIR, stdio: ["ignore", "pipe", "pipe"] });
  track(child);
  let stderr = "";
  let stdout = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (d: string) => {
    stderr += d;
  });
  const exited = new Promise<void>((res) => child.once("exit", () => res()));

  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  };

  return new Promise<NodeServer>((resolvePromise, reject) => {
    let settled = false;
    const fail = (why: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`node-server: ${why}\nstdout: ${tail(stdout)}\nstderr: ${tail(stderr)}`));
    };
    const timeoutMs = opts.startTimeoutMs ?? 20000;
    const timer = setTimeout(() => fail(`no LISTENING line within ${timeoutMs} ms`), timeoutMs);
    child.once("error", (err) => fail(`spawn failed: ${err.message}`));
    child.once("exit", (code, signal) => fail(`exited before listening (code ${code}, signal ${signal})`));
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (d: string) => {
      stdout += d;
      if (settled) return;
      const m = /^LISTENING (\S+):(\d+)\s*$/m.exec(stdout);
      if (!m) return;
      settled = true;
      clearTimeout(timer);
      const host = m[1] ?? "";
      const port = Number(m[2]);
      resolvePromise({
        hostPort: `${host}:${port}`,
        host,
        port,
        pid: child.pid ?? -1,
        stderr: () => stderr,
        stop,
        exitStatus: () =>
          child.exitCode !== null || child.signalCode !== null
            ? { code: child.exitCode, signal: child.signalCode }
            : null,
      });
    });
  });
}

/** Raw arg input: UTF-8 text, "hex:…", or `pattern` repeated up to `length` bytes. */
export type RawArgInput = string | { pattern?: string; length: number };

export type NodeClientScheme = "raw" | "json" | "thrift" | "ping";

export interface NodeClientCall {
  scheme: NodeClientScheme;
  /** arg1 (not used by ping); thrift: "Service::method", e.g. "KeyValue::getValue", "Meta::health". */
  endpoint?: string;
  /** raw: RawArgInput; json: an object of strings (arg2); thrift: the thrift head (strings). */
  headers?: RawArgInput | Record<string, string> | null;
  /** raw: RawArgInput; json: any JSON value (arg3); thrift: the method's arguments, e.g. { key: "k" }. */
  body?: unknown;
  /** thrift: IDL file for this call (absolute, or relative to peers/); default spec.thriftIdl. */
  thriftIdl?: string;
  /** ms; default 5000. */
  timeout?: number;
  /** 0 none, 1 crc32, 2 farmhash32, 3 crc32c (tchannel-node's default). */
  checksumType?: 0 | 1 | 2 | 3;
  service?: string;
  callerName?: string;
  /** Extra transport headers (as/cn are set by the client). */
  transportHeaders?: Record<string, string>;
  retryLimit?: number;
  /** The `re` flags string, e.g. "c", "n", "t", "ct". */
  retryFlags?: string;
  /** raw only: a streamed request (`request({streamed: true})`), the body written in 64 KiB chunks as generated. */
  streamed?: boolean;
}

export interface NodeClientSpec {
  hostPort: string;
  service: string;
  /** The cn header; default "node-client". */
  callerName?: string;
  /** Send all calls at once instead of one after the other (results stay in call order). */
  parallel?: boolean;
  /** Raw args longer than this are reported by length + sha256 only; default 65536. */
  inlineLimit?: number;
  /**
   * thrift: the IDL file (absolute, or relative to peers/); default peers/keyvalue.thrift.
   * Meta::* calls always use tchannel-node's as/meta.thrift.
   */
  thriftIdl?: string;
  calls: NodeClientCall[];
}

export interface RawArgResult {
  length: number;
  /** sha256 of the bytes, hex. */
  sha256: string;
  utf8?: string;
  hex?: string;
}

export interface NodeClientError {
  /** tchannel-node's error type, e.g. "tchannel.bad-request", "tchannel.request.timeout". */
  type: string;
  /** Error frame code, when the error came from an error frame. */
  code?: number;
  /** tchannel-node's classification: "Timeout", "BadRequest", "NetworkError", … */
  codeName: string | null;
  message: string;
  isErrorFrame: boolean;
}

export interface NodeClientResult {
  index: number;
  scheme: NodeClientScheme;
  endpoint?: string;
  ok: boolean;
  /** raw only: the call res code (0 ok, 1 application error). */
  code?: number;
  /** raw streamed calls only: whether tchannel-node saw the response as streamed (fragmented). */
  streamed?: boolean;
  /** raw: RawArgResult; json: the parsed arg2; thrift: the response head; null on error. */
  headers?: any;
  /**
   * raw: RawArgResult; json: the parsed arg3 (the error object when !ok); thrift: the return
   * value (null for void), or the declared exception's fields when !ok; null on error.
   */
  body?: any;
  /** thrift, declared exception only: the result field that was set, e.g. "notFound". */
  typeName?: string | null;
  /** thrift, declared exception only: the exception's IDL type, e.g. "NotFoundError". */
  exceptionType?: string | null;
  transportHeaders?: Record<string, string>;
  /** Set when the call failed with a protocol/system error (no call res). */
  error?: NodeClientError;
  elapsedMs?: number;
  /** ping only. */
  rttMs?: number;
}

/**
 * Runs peers/node-client.js (tchannel-node 4.0.1) with `spec` on stdin and resolves with one
 * result per call, in call order. Rejects if the process fails, times out (default 60 s) or
 * prints an unexpected number of lines.
 */
export function runNodeClient(spec: NodeClientSpec, opts: { timeoutMs?: number } = {}): Promise<NodeClientResult[]> {
  if (!existsSync(join(PEERS_DIR, "node_modules", "tchannel"))) {
    return Promise.reject(new Error("tchannel-node is not installed; call ensurePeersInstalled() first"));
  }
  return new Promise<NodeClientResult[]>((resolvePromise, reject) => {
    const child = spawn(peersNode(), [NODE_CLIENT_JS, "-"], {
      cwd: PEERS_DIR,
      stdio: ["pipe", "pipe", "pipe"],
    });
    track(child);
    let stdout = "";
    let stderr = "";
    let settled = false;
    const timeoutMs = opts.timeoutMs ?? 60000;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      finish(new Error(`node-client: no exit within ${timeoutMs} ms\nstderr: ${tail(stderr)}`));
    }, timeoutMs);
    function finish(err: Error | null, results?: NodeClientResult[]): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolvePromise(results ?? []);
    }
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.on("data", (d: string) => {
      stderr += d;
    });
    child.once("error", (err) => finish(new Error(`node-client: spawn failed: ${err.message}`)));
    child.once("close", (code, signal) => {
      if (code !== 0) {
        finish(new Error(`node-client exited with code ${code} signal ${signal}\nstderr: ${tail(stderr)}`));
        return;
      }
      try {
        const lines = stdout.split("\n").filter((l) => l.trim() !== "");
        const results = lines.map((l) => JSON.parse(l) as NodeClientResult);
        if (results.length !== spec.calls.length) {
          throw new Error(`expected ${spec.calls.length} result lines, got ${results.length}`);
        }
        finish(null, results);
      } catch (err) {
        finish(
          new Error(`node-client: bad output: ${(err as Error).message}\nstdout: ${tail(stdout)}\nstderr: ${tail(stderr)}`),
        );
      }
    });
    child.stdin.on("error", () => {
      // The client died before reading its spec; the close handler reports it.
    });
    child.stdin.end(JSON.stringify(spec));
  });
}

// ---- Uber's tcurl 4.23.1 (peers/uber-tcurl, a standalone npm project) ----------------------

/** packages/interop/peers/uber-tcurl: Uber's tcurl 4.23.1 on tchannel-node 4.0.1. */
export const UBER_TCURL_DIR: string = join(PEERS_DIR, "uber-tcurl");
/** Uber's tcurl entry point; run it with `node`. */
export const UBER_TCURL_JS: string = join(UBER_TCURL_DIR, "node_modules", "tcurl", "index.js");

/** Uber's tcurl 4.23.1 in ../peers/uber-tcurl. */
export function ensureUberTcurlInstalled(): void {
  runInstallScript("uber-tcurl");
}

export interface CliResult {
  /** The exit code (null if killed by a signal). */
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command-line program on the peers' Node (Uber's tcurl by default) and collects its output.
 * Rejects only if it cannot be spawned or does not exit within `timeoutMs` (default 30 s).
 */
export function runNodeCli(script: string, args: string[], opts: { cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise<CliResult>((resolvePromise, reject) => {
    const child = spawn(peersNode(), [script, ...args], { cwd: opts.cwd ?? PEERS_DIR, stdio: ["ignore", "pipe", "pipe"] });
    track(child);
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.on("data", (d: string) => {
      stderr += d;
    });
    const timeoutMs = opts.timeoutMs ?? 30000;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${script} ${args.join(" ")}: no exit within ${timeoutMs} ms\nstdout: ${tail(stdout)}\nstderr: ${tail(stderr)}`));
    }, timeoutMs);
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(new Error(`${script}: spawn failed: ${err.message}`));
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** Runs Uber's tcurl (peers/uber-tcurl; call ensureUberTcurlInstalled() first) with `args`. */
export function runUberTcurl(args: string[], opts: { cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  if (!existsSync(UBER_TCURL_JS)) {
    return Promise.reject(new Error("Uber's tcurl is not installed; call ensureUberTcurlInstalled() first"));
  }
  return runNodeCli(UBER_TCURL_JS, args, opts);
}
