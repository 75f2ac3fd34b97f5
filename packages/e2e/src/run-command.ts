import { execFile } from "node:child_process";

export interface CommandResult {
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd: string;
  /** Killed (and the promise rejected) after this long, so a stuck npm cannot hang jest. */
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
}

/** Thrown when a command exits non-zero or times out; carries its output for the test log. */
export class CommandFailedError extends Error {
  constructor(
    readonly command: string,
    readonly stdout: string,
    readonly stderr: string,
    cause: unknown,
  ) {
    const why = (cause as NodeJS.ErrnoException).code === "ENOENT" ? "not found on PATH" : (cause as Error).message;
    super(`${command} failed: ${why}\n--- stdout\n${tail(stdout)}\n--- stderr\n${tail(stderr)}`);
    this.name = "CommandFailedError";
  }
}

function tail(text: string): string {
  const lines = text.trimEnd().split("\n");
  return lines.slice(-40).join("\n");
}

/** Runs a program to completion (no shell) and returns its output. */
export function runCommand(file: string, args: readonly string[], options: RunOptions): Promise<CommandResult> {
  const command = [file, ...args].join(" ");
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { cwd: options.cwd, env: options.env ?? process.env, timeout: options.timeoutMs, killSignal: "SIGKILL", maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) reject(new CommandFailedError(command, stdout, stderr, err));
        else resolve({ stdout, stderr });
      },
    );
  });
}
