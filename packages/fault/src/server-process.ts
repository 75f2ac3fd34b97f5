import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";

/** test/fixtures/<name>, from src/ (jest) or dist/ (soak, hostile). */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`../test/fixtures/${name}`, import.meta.url));
}

export interface ServerStats {
  /** Runs per request body: more than 1 means a call ran twice. */
  runs: Record<string, number>;
  /** Callers' socket addresses: one per connection. */
  callers: string[];
}

/** A TChannel server (test/fixtures/server.mjs) in its own process, driven over IPC. */
export class ServerProcess {
  readonly child: ChildProcess;
  readonly hostPort: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(child: ChildProcess, hostPort: string, exited: ServerProcess["exited"]) {
    this.child = child;
    this.hostPort = hostPort;
    this.exited = exited;
  }

  get port(): number {
    return Number(this.hostPort.split(":")[1]);
  }

  static async start(options: { port?: number; channel?: Record<string, unknown>; env?: Record<string, string>; execArgv?: string[] } = {}): Promise<ServerProcess> {
    const child = fork(fixture("server.mjs"), [String(options.port ?? 0), JSON.stringify(options.channel ?? {})], {
      env: { ...process.env, ...options.env },
      execArgv: options.execArgv ?? [],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
    const hostPort = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("server process did not start within 20 s")), 20_000);
      child.once("exit", (code) => reject(new Error(`server process exited with ${code} before listening`)));
      child.on("message", (m: { hostPort?: string }) => {
        if (m.hostPort !== undefined) {
          clearTimeout(timer);
          resolve(m.hostPort);
        }
      });
    });
    return new ServerProcess(child, hostPort, exited);
  }

  #ask<T>(message: string, key: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to ${message}`)), 10_000);
      const onMessage = (m: Record<string, unknown>) => {
        if (m[key] === undefined) return;
        clearTimeout(timer);
        this.child.off("message", onMessage);
        resolve(m[key] as T);
      };
      this.child.on("message", onMessage);
      this.child.send(message);
    });
  }

  stats(): Promise<ServerStats> {
    return this.#ask<ServerStats>("stats", "stats");
  }

  memory(): Promise<{ rss: number; heapUsed: number; external: number; arrayBuffers: number }> {
    return this.#ask("memory", "memory");
  }

  /** A graceful close inside the server process; resolves when it says it is closed. */
  close(): Promise<boolean> {
    return this.#ask<boolean>("close", "closed");
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Ends it for sure (tests' cleanup). */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill("SIGCONT");
      this.child.kill("SIGKILL");
    }
    await this.exited;
  }
}
