// The command line: flags (Uber's tcurl's, tcurl/tcurl.json in tcurl@4.23.1, where they make
// sense here), parsed with commander, then checked and resolved into a TcurlCommand.
import { statSync } from "node:fs";
import { join, resolve } from "node:path";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { readPeerList, validatePeer } from "./peer-list.js";
import { UsageError } from "./exit-codes.js";

export type Scheme = "raw" | "json" | "thrift";

/** What to do, after the command line has been checked. */
export interface TcurlCommand {
  service: string;
  /** arg1; `Meta::health` with --health. */
  endpoint: string;
  scheme: Scheme;
  health: boolean;
  /** The body (arg3) as typed: JSON for json and thrift, bytes for raw; undefined when not given. */
  body: string | undefined;
  /** The application headers (arg2) as typed: a JSON object for json and thrift, bytes for raw. */
  headers: string | undefined;
  /** One or more host:port; with one, every call goes there. */
  peers: string[];
  /** The thrift IDL file (resolved from -t, which may name a folder). */
  thriftFile: string | undefined;
  /** Milliseconds for the whole call, retries included. */
  timeout: number;
  callerName: string;
  shardKey: string | undefined;
  routingDelegate: string | undefined;
  /** Print Uber's tcurl's {ok, head, body, headers} object instead of the bare body. */
  envelope: boolean;
}

/** Default --timeout. Uber's tcurl uses 100 ms, too short for calls through Hyperbahn; yab uses 1 s. */
export const DEFAULT_TIMEOUT_MS = 1000;
/** Default --cn, as Uber's tcurl. */
export const DEFAULT_CALLER = "tcurl";

export interface ParseIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  cwd: string;
  version: string;
}

/** The parsed command, or the exit code when commander already answered (help, version, errors). */
export type ParseResult = { command: TcurlCommand } | { exit: number };

interface RawOptions {
  service?: string;
  endpoint?: string;
  arg1?: string;
  method?: string;
  peer?: string[];
  peerlist?: string;
  hostlist?: string;
  thrift?: string;
  json?: boolean;
  J?: boolean;
  raw?: boolean;
  health?: boolean;
  headers?: string;
  arg2?: string;
  head?: string;
  body?: string;
  arg3?: string;
  timeout?: number;
  caller?: string;
  shardKey?: string;
  routingDelegate?: string;
  envelope?: boolean;
}

function buildProgram(io: ParseIO): Command {
  const hidden = (flags: string, description = "") => new Option(flags, description).hideHelp();
  return new Command("tcurl")
    .description("Sends a TChannel request (raw, json or thrift) and prints the response.")
    .usage("-p <host:port> [options] <service> <endpoint> [<body>]\n       tcurl -p <host:port> <service> --health")
    .argument("[service]", "the TChannel service to call")
    .argument("[endpoint]", "the endpoint (arg1); Service::method for thrift")
    .argument("[body]", "the body (arg3): JSON for json and thrift, text for raw; same as -3")
    .option("-p, --peer <host:port>", "a peer to call; repeat for several", (v: string, prev: string[] | undefined) => [...(prev ?? []), v])
    .option("-P, --peerlist <file>", "a JSON file holding an array of host:port to choose from")
    .addOption(hidden("-H, --hostlist <file>", "deprecated alias of --peerlist"))
    .option("-t, --thrift <idl>", "thrift IDL file, or a folder holding <service>.thrift")
    .option("-j, --json", "use the json arg scheme (the default without -t and without :: in the endpoint)")
    .addOption(hidden("-J"))
    .option("-r, --raw", "use the raw arg scheme: body and headers are sent as text, the response body is written as is")
    .option("--health", "call Meta::health on the service; prints OK or NOT OK")
    .option("-3, --body <body>", "the body (arg3); for json and thrift, JSON")
    .addOption(hidden("--arg3 <body>"))
    .option("-2, --headers <headers>", "application headers (arg2): a JSON object of strings (raw: text)")
    .addOption(hidden("--arg2 <headers>"))
    .addOption(hidden("--head <headers>"))
    .option("--timeout <ms>", `timeout in milliseconds, retries included (default ${DEFAULT_TIMEOUT_MS})`, positiveInt)
    .option("--cn, --caller <name>", `caller name sent as cn (default ${JSON.stringify(DEFAULT_CALLER)})`)
    .option("--sk, --shard-key <key>", "ringpop shard key (sk transport header)")
    .addOption(hidden("--shardKey <key>", "deprecated alias of --shard-key"))
    .option("--rd, --routing-delegate <service>", "routing delegate (rd transport header)")
    .option("-s, --service <service>", "the service, instead of the first argument")
    .option("-1, --endpoint <endpoint>", "the endpoint, instead of the second argument")
    .addOption(hidden("--arg1 <endpoint>"))
    .addOption(hidden("--method <endpoint>"))
    .addOption(hidden("--no-strict", "accepted for Uber's tcurl compatibility; IDLs are always read non-strictly"))
    .option("--envelope", "print Uber tcurl's {ok, head, body, headers} object instead of the bare body")
    .version(io.version, "-v, --version", "print the version")
    .helpOption("-h, --help", "show this help")
    .addHelpText(
      "after",
      [
        "",
        "Exit codes: 0 ok; 1-8 the TChannel error code (1 timeout, 2 cancelled, 3 busy, 4 declined,",
        "5 unexpected, 6 bad request, 7 network, 8 unhealthy); 255 fatal protocol error; 64 usage",
        "error; 124 --health not OK; 125 other local error (no peer...); 126 application error.",
        "",
        "Examples:",
        "  tcurl -p 127.0.0.1:4040 -t keyvalue.thrift keyvalue KeyValue::getValue -3 '{\"key\": \"foo\"}'",
        "  tcurl -P hosts.json keyvalue add '{\"a\": 1, \"b\": 2}'",
        "  tcurl -p 127.0.0.1:4040 keyvalue echo --raw hello",
        "  tcurl -p 127.0.0.1:4040 keyvalue --health",
      ].join("\n"),
    )
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout(s),
      writeErr: (s) => io.stderr(s),
      outputError: (s, write) => write(`tcurl: ${s.replace(/^error: /, "")}`),
    })
    .showHelpAfterError("(tcurl --help shows the usage)");
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError("expected a positive number of milliseconds");
  return n;
}

/** Parses argv (without node and the script). Throws UsageError for what commander does not check. */
export function parseCommandLine(argv: string[], io: ParseIO): ParseResult {
  const program = buildProgram(io);
  // `pnpm tcurl -- -p ...` (and npm run) pass the separator on; a leading one means nothing here.
  const args = argv[0] === "--" ? argv.slice(1) : argv;
  try {
    program.parse(args, { from: "user" });
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version end with exit code 0; everything else commander rejects is a usage error.
      return { exit: err.exitCode === 0 ? 0 : 64 };
    }
    throw err;
  }
  return { command: resolveCommand(program.processedArgs as (string | undefined)[], program.opts<RawOptions>(), io.cwd) };
}

function resolveCommand(args: (string | undefined)[], o: RawOptions, cwd: string): TcurlCommand {
  const positional = args.filter((a): a is string => a !== undefined);
  // -s and -1 take the place of the first positionals (Uber's tcurl: "[-s|--service] <service>").
  const service = o.service ?? positional.shift();
  const health = o.health === true;
  let endpoint = o.endpoint ?? o.arg1 ?? o.method;
  if (endpoint === undefined && !health) endpoint = positional.shift();
  const positionalBody = positional.shift();
  if (positional.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positional[0])}`);

  if (service === undefined || service === "") throw new UsageError("missing the service: tcurl -p <host:port> <service> <endpoint> [<body>]");
  if (!health && (endpoint === undefined || endpoint === "")) throw new UsageError("missing the endpoint (or --health): tcurl -p <host:port> <service> <endpoint> [<body>]");

  const bodyFlag = o.body ?? o.arg3;
  if (bodyFlag !== undefined && positionalBody !== undefined) throw new UsageError("give the body once: as an argument or with -3, not both");
  const body = bodyFlag ?? positionalBody;
  const headers = o.headers ?? o.arg2 ?? o.head;

  const peers = resolvePeers(o, cwd);

  const schemeFlags = [o.raw && "--raw", (o.json || o.J) && "--json", health && "--health"].filter(Boolean);
  if (schemeFlags.length > 1) throw new UsageError(`choose one of ${schemeFlags.join(", ")}`);
  let scheme: Scheme;
  if (health) scheme = "thrift";
  else if (o.raw) scheme = "raw";
  else if (o.json || o.J) scheme = "json";
  else if (o.thrift !== undefined || endpoint!.includes("::")) scheme = "thrift";
  else scheme = "json";

  let thriftFile: string | undefined;
  if (scheme === "thrift" && !health) {
    if (o.thrift === undefined) {
      throw new UsageError(`${endpoint} looks like a thrift method: give the IDL with -t <file.thrift>, or use --json for a json endpoint containing ::`);
    }
    thriftFile = resolveIdl(o.thrift, service, cwd);
  }
  if (health && (body !== undefined || headers !== undefined)) throw new UsageError("--health takes no body or headers");

  return {
    service,
    endpoint: health ? "Meta::health" : endpoint!,
    scheme,
    health,
    body,
    headers,
    peers,
    thriftFile,
    timeout: o.timeout ?? DEFAULT_TIMEOUT_MS,
    callerName: o.caller ?? DEFAULT_CALLER,
    shardKey: o.shardKey,
    routingDelegate: o.routingDelegate,
    envelope: o.envelope === true,
  };
}

function resolvePeers(o: RawOptions, cwd: string): string[] {
  // As Uber's tcurl: peers given with -p win over a peer list.
  if (o.peer !== undefined && o.peer.length > 0) return o.peer.flatMap((p) => p.split(",")).map((p) => validatePeer(p.trim(), "-p"));
  const file = o.peerlist ?? o.hostlist;
  if (file !== undefined) return readPeerList(resolve(cwd, file));
  throw new UsageError("no peer to call: give -p <host:port> (repeatable) or -P <peers.json>");
}

/** -t names a file, or a folder holding <service>.thrift (as Uber's tcurl). */
function resolveIdl(path: string, service: string, cwd: string): string {
  const full = resolve(cwd, path);
  let stat;
  try {
    stat = statSync(full);
  } catch (err) {
    throw new UsageError(`cannot read the thrift IDL ${path}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message}`);
  }
  if (!stat.isDirectory()) return full;
  const inside = join(full, `${service}.thrift`);
  try {
    if (statSync(inside).isFile()) return inside;
  } catch {
    // reported below
  }
  throw new UsageError(`-t ${path} is a folder without ${service}.thrift; give the IDL file itself`);
}
