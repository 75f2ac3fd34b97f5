// runTcurl: the whole command, testable: argv in, output through writers, the exit code out.
import { TChannel } from "@tchannel/channel";
import { errorOutcome, prepareCall } from "./call.js";
import { EXIT, UsageError } from "./exit-codes.js";
import { parseCommandLine } from "./options.js";

export interface TcurlIO {
  /** Receives the response: JSON text, or a raw body's bytes as they came. */
  stdout: (chunk: string | Uint8Array) => void;
  /** Receives messages for people: errors, usage, notes. */
  stderr: (text: string) => void;
  /** Relative -t and -P paths resolve from here; default process.cwd(). */
  cwd?: string;
  /** What -v prints; default "0.0.0". */
  version?: string;
}

/**
 * Runs tcurl with `argv` (the arguments after the program name) and resolves with the exit code
 * (see exit-codes.ts). Never rejects; never calls process.exit.
 */
export async function runTcurl(argv: readonly string[], io: TcurlIO): Promise<number> {
  let channel: TChannel | undefined;
  let envelope = false;
  try {
    const parsed = parseCommandLine([...argv], {
      stdout: (s) => io.stdout(s),
      stderr: (s) => io.stderr(s),
      cwd: io.cwd ?? process.cwd(),
      version: io.version ?? "0.0.0",
    });
    if ("exit" in parsed) return parsed.exit;
    const { command } = parsed;
    envelope = command.envelope;
    const call = prepareCall(command);
    channel = new TChannel({ name: command.callerName || "tcurl", knownPeers: command.peers, timeout: command.timeout });
    const outcome = await call.run(channel);
    if (outcome.stdout !== undefined) io.stdout(outcome.stdout);
    if (outcome.stderr !== undefined) io.stderr(outcome.stderr);
    return outcome.exit;
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`tcurl: ${err.message}\n(tcurl --help shows the usage)\n`);
      return EXIT.USAGE;
    }
    const outcome = errorOutcome(err, envelope);
    if (outcome.stdout !== undefined) io.stdout(outcome.stdout);
    if (outcome.stderr !== undefined) io.stderr(outcome.stderr);
    return outcome.exit;
  } finally {
    await channel?.close().catch(() => undefined);
  }
}
