// The command lines of the keyvalue server and client: --help, --version, a leading `--` skipped
// (`pnpm keyvalue:server -- --port 4040` passes it on), and usage errors as one line plus the usage,
// never a stack trace.
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";

export interface CommandSpec {
  /** "keyvalue server" */
  name: string;
  /** The usage line, without "usage: ". */
  usage: string;
  /** Option name -> one-line description; options take a string value unless `flag`. */
  options: Record<string, { description: string; short?: string; flag?: boolean }>;
}

export type Values = Record<string, string | boolean | undefined>;

export type Parsed =
  | { values: Values }
  /** Print `text` (to stdout when code is 0, else stderr) and exit with `code`. */
  | { exit: number; text: string };

export function helpText(spec: CommandSpec): string {
  const lines = [`usage: ${spec.usage}`, "", "options:"];
  for (const [name, { description, short, flag }] of Object.entries(spec.options)) {
    lines.push(`  ${short ? `-${short}, ` : ""}--${name}${flag ? "" : " <value>"}`.padEnd(30) + description);
  }
  lines.push(`  -h, --help`.padEnd(30) + "show this help", `  -v, --version`.padEnd(30) + "print the tchannel-ts version");
  return `${lines.join("\n")}\n`;
}

/** Parses `argv` (the arguments after the script). */
export function parseCommandLine(spec: CommandSpec, argv: readonly string[], version: () => string = tchannelVersion): Parsed {
  const args = argv[0] === "--" ? argv.slice(1) : [...argv];
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = {
    help: { type: "boolean", short: "h" },
    version: { type: "boolean", short: "v" },
  };
  for (const [name, { short, flag }] of Object.entries(spec.options)) {
    const type = flag ? "boolean" : "string";
    options[name] = short ? { type, short } : { type };
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args, options, allowPositionals: false, strict: true }));
  } catch (err) {
    // node:util's messages are one line and name the flag ("Unknown option '--prot'. ...").
    return { exit: 2, text: `${spec.name}: ${(err as Error).message}\n${helpText(spec)}` };
  }
  if (values.help === true) return { exit: 0, text: helpText(spec) };
  if (values.version === true) return { exit: 0, text: `${spec.name} (tchannel-ts ${version()})\n` };
  const own: Values = {};
  for (const name of Object.keys(spec.options)) own[name] = values[name];
  return { values: own };
}

/** Throws a usage error: `fail(spec, "...")` in a main prints it with the usage and exits 2. */
export function usageError(spec: CommandSpec, message: string): Parsed {
  return { exit: 2, text: `${spec.name}: ${message}\n${helpText(spec)}` };
}

/** The version of the tchannel-ts this app runs on, from its package.json. */
export function tchannelVersion(): string {
  const entry = createRequire(import.meta.url).resolve("tchannel-ts");
  for (let dir = dirname(entry); dir !== dirname(dir); dir = dirname(dir)) {
    const path = join(dir, "package.json");
    if (!existsSync(path)) continue;
    const manifest = JSON.parse(readFileSync(path, "utf8")) as { name?: string; version?: string };
    if (manifest.name === "tchannel-ts") return manifest.version ?? "unknown";
  }
  return "unknown";
}

/** A host:port as a peer is given: `127.0.0.1:4040`, `[::1]:4040`; not a bare port. */
export function isHostPort(value: string): boolean {
  const match = /^(\[[^\]]+\]|[^:\s]+):(\d{1,5})$/.exec(value);
  return match !== null && Number(match[2]) <= 65535;
}

/** Ends the process as `parsed` says (print, then exit), or returns its values. */
export function valuesOrExit(parsed: Parsed): Values {
  if ("values" in parsed) return parsed.values;
  (parsed.exit === 0 ? process.stdout : process.stderr).write(parsed.text);
  process.exit(parsed.exit);
}
