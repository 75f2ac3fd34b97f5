// pnpm keyvalue:client -- (--peer host:port | --routers host:port,... | --router-file hosts.json) [--missing key] [--otel]
import { TChannelError } from "tchannel-ts";
import { runClient } from "./client.js";
import { type CommandSpec, isHostPort, parseCommandLine, usageError, valuesOrExit } from "./command-line.js";
import { defaultIdlPath } from "./keyvalue-idl.js";
import { otelWanted, startOtel } from "./otel.js";
import { routersFromArgs } from "./router-args.js";

const SPEC: CommandSpec = {
  name: "keyvalue client",
  usage: "keyvalue client (--peer host:port | --routers host:port,... | --router-file hosts.json) [--missing key] [--otel]",
  options: {
    peer: { description: "the server to call, host:port (what the server printed)" },
    routers: { description: "call through these Hyperbahn routers" },
    "router-file": { description: "call through the routers listed in this JSON file" },
    missing: { description: "also get this key, to see a NotFoundError" },
    otel: { flag: true, description: "OpenTelemetry: OTLP spans of the calls" },
  },
};

const values = valuesOrExit(parseCommandLine(SPEC, process.argv.slice(2))) as {
  peer?: string;
  routers?: string;
  "router-file"?: string;
  missing?: string;
  otel?: boolean;
};
let routers: string[] | undefined;
try {
  routers = routersFromArgs(values);
} catch (err) {
  valuesOrExit(usageError(SPEC, (err as Error).message));
}
if ((values.peer === undefined) === (routers === undefined)) valuesOrExit(usageError(SPEC, "give exactly one of --peer, --routers and --router-file"));
if (values.peer !== undefined && !isHostPort(values.peer)) {
  valuesOrExit(usageError(SPEC, `--peer wants host:port, e.g. 127.0.0.1:${/^\d+$/.test(values.peer) ? values.peer : "4040"}; got ${JSON.stringify(values.peer)}`));
}
const otel = otelWanted(values.otel) ? await startOtel("keyvalue-consumer", undefined) : undefined;
try {
  await runClient({ idlPath: defaultIdlPath(import.meta.url), peer: values.peer, routers, missingKey: values.missing });
} catch (err) {
  console.error(`keyvalue client: ${err instanceof TChannelError ? `${err.name}: ${err.message}` : (err as Error).message}`);
  process.exitCode = 1;
} finally {
  await otel?.shutdown(); // flushes the spans
}
