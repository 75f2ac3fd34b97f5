// pnpm keyvalue:client -- (--peer host:port | --routers host:port,... | --router-file hosts.json) [--missing key] [--otel]
import { parseArgs } from "node:util";
import { TChannelError } from "tchannel-ts";
import { runClient } from "./client.js";
import { cliArgs, defaultIdlPath } from "./keyvalue-idl.js";
import { otelWanted, startOtel } from "./otel.js";
import { routersFromArgs } from "./router-args.js";

const USAGE = "usage: keyvalue client (--peer host:port | --routers host:port,... | --router-file hosts.json) [--missing key] [--otel]";
const { values } = parseArgs({
  args: cliArgs(),
  options: { peer: { type: "string" }, routers: { type: "string" }, "router-file": { type: "string" }, missing: { type: "string" }, otel: { type: "boolean" } },
});
let routers: string[] | undefined;
try {
  routers = routersFromArgs(values);
} catch (err) {
  console.error(`${(err as Error).message}\n${USAGE}`);
  process.exit(2);
}
if ((values.peer === undefined) === (routers === undefined)) {
  console.error(USAGE);
  process.exit(2);
}
const otel = otelWanted(values.otel) ? await startOtel("keyvalue-consumer", undefined) : undefined;
try {
  await runClient({ idlPath: defaultIdlPath(import.meta.url), peer: values.peer, routers, missingKey: values.missing });
} catch (err) {
  console.error(err instanceof TChannelError ? `${err.name}: ${err.message}` : err);
  process.exitCode = 1;
} finally {
  await otel?.shutdown(); // flushes the spans
}
