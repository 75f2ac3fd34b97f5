import { type ChildProcess, spawn } from "node:child_process";

export interface ServerProcess {
  /** What the server printed after "Listening on ". */
  hostPort: string;
  /** Everything written so far (for failure messages). */
  output(): string;
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

/**
 * Starts `node <script>` in `cwd` and waits for its "Listening on host:port" line. Rejects (and
 * kills the process) if the line does not come within `readyTimeoutMs` or the process exits.
 */
export function startServer(
  script: string,
  cwd: string,
  readyTimeoutMs: number,
  env: NodeJS.ProcessEnv = process.env,
  args: readonly string[] = [],
): Promise<ServerProcess> {
  const child: ChildProcess = spawn(process.execPath, [script, ...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

  const stop = async (graceMs = 10000): Promise<number | null> => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  };

  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void stop(1000).then(() => reject(new Error(`${script}: ${why}\n--- output\n${output}`)));
    };
    const timer = setTimeout(() => fail(`no "Listening on" line within ${readyTimeoutMs} ms`), readyTimeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      const match = /Listening on (\S+)/.exec(output);
      if (match && !settled) {
        settled = true;
        clearTimeout(timer);
        child.stdout!.off("data", onData);
        child.stdout!.on("data", (more: Buffer) => (output += more.toString("utf8")));
        resolve({ hostPort: match[1]!, output: () => output, stop });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    child.once("exit", (code, signal) => fail(`exited (code ${code}, signal ${signal}) before listening`));
  });
}
