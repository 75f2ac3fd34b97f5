// pnpm keyvalue:server -- [--port P]
import { parseArgs } from "node:util";
import { cliArgs, defaultIdlPath } from "./keyvalue-idl.js";
import { startServer } from "./server.js";

const { values } = parseArgs({ args: cliArgs(), options: { port: { type: "string", short: "p" } } });
const port = values.port === undefined ? 0 : Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be a port number, got ${values.port}`);
  process.exit(2);
}
const { tchannel, hostPort } = await startServer({ idlPath: defaultIdlPath(import.meta.url), port });
console.log(`Listening on ${hostPort}`);

const stop = async () => {
  await tchannel.close();
  process.exit(0);
};
// Graceful: decline new calls, finish the ones in progress, close connections.
process.once("SIGINT", () => void stop());
process.once("SIGTERM", () => void stop());
