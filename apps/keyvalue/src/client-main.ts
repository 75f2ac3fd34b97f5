// pnpm keyvalue:client -- --peer host:port [--missing key]
import { parseArgs } from "node:util";
import { TChannelError } from "tchannel-ts";
import { runClient } from "./client.js";
import { cliArgs, defaultIdlPath } from "./keyvalue-idl.js";

const { values } = parseArgs({ args: cliArgs(), options: { peer: { type: "string" }, missing: { type: "string" } } });
if (values.peer === undefined) {
  console.error("usage: keyvalue client --peer host:port [--missing key]");
  process.exit(2);
}
try {
  await runClient({ idlPath: defaultIdlPath(import.meta.url), peer: values.peer, missingKey: values.missing });
} catch (err) {
  console.error(err instanceof TChannelError ? `${err.name}: ${err.message}` : err);
  process.exit(1);
}
