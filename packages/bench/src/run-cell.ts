import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { cpus } from "node:os";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { Cell } from "./bench-options.js";
import type { ClientArgs, ClientReport, ServerReport } from "./child-protocol.js";
import { type Implementation, familyOf } from "./implementations.js";

/** One measured run of one implementation in one cell. */
export interface RunResult {
  impl: Implementation;
  /** The Node that ran both processes (`process.version` form). */
  node: string;
  concurrency: number;
  size: number;
  repeat: number;
  callsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  /** (client + server CPU in the window) / calls, µs. */
  cpuPerCallUs: number;
  clientCpuPerCallUs: number;
  serverCpuPerCallUs: number;
  clientRssMiB: number;
  serverRssMiB: number;
  /** Garbage collections per 1,000 calls in the window: scavenges (minor) and mark-compacts (major). */
  clientMinorGcPer1k: number;
  clientMajorGcPer1k: number;
  serverMinorGcPer1k: number;
  serverMajorGcPer1k: number;
  calls: number;
  errors: number;
  errorSamples: string[];
  /** Why the run produced no report (a child crashed or hung), if it did not. */
  failure?: string;
}

/** Whether children are pinned: `taskset` exists and there are two CPUs to pin to. */
export const PINNED: boolean = cpus().length >= 2 && spawnSync("taskset", ["-c", "0", "true"]).status === 0;

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

/** A Node binary the children run on, and its version. */
export interface NodeBinary {
  path: string;
  version: string;
}

export const CURRENT_NODE: NodeBinary = { path: process.execPath, version: process.version };

function spawnPinned(nodeBin: NodeBinary, cpu: number, script: string, args: string[]): ChildProcess {
  const node = [nodeBin.path, "--no-warnings", here(script), ...args];
  const [cmd, ...rest] = PINNED ? ["taskset", "-c", String(cpu), ...node] : node;
  return spawn(cmd!, rest, { stdio: ["pipe", "pipe", "pipe"] });
}

/** Lines tagged `TAG` on a child's stdout, as they come. */
function onTagged(child: ChildProcess, handler: (tag: string, value: string) => void): void {
  createInterface({ input: child.stdout! }).on("line", (line) => {
    const space = line.indexOf(" ");
    handler(space < 0 ? line : line.slice(0, space), space < 0 ? "" : line.slice(space + 1));
  });
}

const STDERR_KEEP = 2000;

/**
 * Runs one server process (CPU 0) and one client process (CPU 1) for `impl` in `cell`, both on
 * `nodeBin` (default: the Node running this). Never
 * throws: a crash or a hang becomes a result with `failure` set.
 */
export async function runCell(impl: Implementation, cell: Cell, repeat: number, warmupMs: number, measureMs: number, nodeBin: NodeBinary = CURRENT_NODE): Promise<RunResult> {
  const base: RunResult = {
    impl, node: nodeBin.version, concurrency: cell.concurrency, size: cell.size, repeat,
    callsPerSec: 0, p50Ms: Number.NaN, p99Ms: Number.NaN, p999Ms: Number.NaN,
    cpuPerCallUs: Number.NaN, clientCpuPerCallUs: Number.NaN, serverCpuPerCallUs: Number.NaN,
    clientRssMiB: Number.NaN, serverRssMiB: Number.NaN,
    clientMinorGcPer1k: Number.NaN, clientMajorGcPer1k: Number.NaN, serverMinorGcPer1k: Number.NaN, serverMajorGcPer1k: Number.NaN, calls: 0, errors: 0, errorSamples: [],
  };
  const children: ChildProcess[] = [];
  let stderr = "";
  const keepStderr = (child: ChildProcess, who: string) =>
    child.stderr!.on("data", (d: Buffer) => {
      if (stderr.length < STDERR_KEEP) stderr += `${who}: ${d.toString()}`;
    });
  try {
    const server = spawnPinned(nodeBin, 0, "./server-process.js", [familyOf(impl)]);
    children.push(server);
    keepStderr(server, "server");
    const serverReports: ServerReport[] = [];
    let onServerReport: (() => void) | undefined;
    const port = await new Promise<number>((resolve, reject) => {
      onTagged(server, (tag, value) => {
        if (tag === "READY") resolve(Number(value));
        else if (tag === "REPORT") {
          serverReports.push(JSON.parse(value) as ServerReport);
          onServerReport?.();
        }
      });
      server.once("exit", (code) => reject(new Error(`server exited (${code}) before READY`)));
      setTimeout(() => reject(new Error("server not READY within 20 s")), 20_000).unref();
    });
    const args: ClientArgs = { impl, hostPort: `127.0.0.1:${port}`, concurrency: cell.concurrency, size: cell.size, warmupMs, measureMs };
    const client = spawnPinned(nodeBin, 1, "./client-process.js", [JSON.stringify(args)]);
    children.push(client);
    keepStderr(client, "client");
    const clientReport = await new Promise<ClientReport>((resolve, reject) => {
      onTagged(client, (tag, value) => {
        if (tag === "WINDOW") server.stdin!.write(value === "start" ? "mark\n" : "report\n");
        else if (tag === "RESULT") resolve(JSON.parse(value) as ClientReport);
      });
      client.once("exit", (code) => reject(new Error(`client exited (${code}) without a result`)));
      setTimeout(() => reject(new Error("client gave no result in time")), warmupMs + measureMs + 30_000).unref();
    });
    if (serverReports.length === 0) {
      await new Promise<void>((resolve, reject) => {
        onServerReport = resolve;
        setTimeout(() => reject(new Error("server sent no report within 10 s")), 10_000).unref();
      });
    }
    const s = serverReports[0]!;
    const c = clientReport;
    const perCall = (micros: number) => (c.calls > 0 ? micros / c.calls : Number.NaN);
    return {
      ...base,
      callsPerSec: c.calls / (c.elapsedMs / 1000),
      p50Ms: c.p50Ms,
      p99Ms: c.p99Ms,
      p999Ms: c.p999Ms,
      cpuPerCallUs: perCall(c.cpuMicros + s.cpuMicros),
      clientCpuPerCallUs: perCall(c.cpuMicros),
      serverCpuPerCallUs: perCall(s.cpuMicros),
      clientRssMiB: c.maxRssKiB / 1024,
      serverRssMiB: s.maxRssKiB / 1024,
      clientMinorGcPer1k: perCall(c.gc.minor * 1000),
      clientMajorGcPer1k: perCall(c.gc.major * 1000),
      serverMinorGcPer1k: perCall(s.gc.minor * 1000),
      serverMajorGcPer1k: perCall(s.gc.major * 1000),
      calls: c.calls,
      errors: c.errors,
      errorSamples: c.errorSamples,
    };
  } catch (err) {
    return { ...base, failure: `${(err as Error).message}${stderr ? `\n${stderr}` : ""}` };
  } finally {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
        child.stdin!.end();
        child.kill("SIGKILL");
        await exited;
      }
    }
  }
}
