// pnpm keyvalue:server -- [--port P] [--routers host:port,... | --router-file hosts.json]
import { parseArgs } from "node:util";
import { cliArgs, defaultIdlPath } from "./keyvalue-idl.js";
import { routersFromArgs } from "./router-args.js";
import { startServer } from "./server.js";

const { values } = parseArgs({
  args: cliArgs(),
  options: { port: { type: "string", short: "p" }, routers: { type: "string" }, "router-file": { type: "string" } },
});
const port = values.port === undefined ? 0 : Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be a port number, got ${values.port}`);
  process.exit(2);
}
let routers: string[] | undefined;
try {
  routers = routersFromArgs(values);
} catch (err) {
  console.error((err as Error).message);
  process.exit(2);
}
try {
  const { tchannel, hostPort } = await startServer({ idlPath: defaultIdlPath(import.meta.url), port, routers });
  console.log(`Listening on ${hostPort}`);
  if (routers !== undefined) console.log(`Advertised on Hyperbahn (${routers.join(", ")})`);

  const stop = async () => {
    await tchannel.close();
    process.exit(0);
  };
  // Graceful: unadvertise, decline new calls, finish the ones in progress, close connections.
  process.once("SIGINT", () => void stop());
  process.once("SIGTERM", () => void stop());
} catch (err) {
  console.error(`keyvalue server: ${(err as Error).message}`);
  process.exit(1);
}
