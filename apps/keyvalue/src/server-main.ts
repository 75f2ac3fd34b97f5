// pnpm keyvalue:server -- [--port P] [--routers host:port,... | --router-file hosts.json] [--otel]
import { parseArgs } from "node:util";
import { SERVICE, cliArgs, defaultIdlPath } from "./keyvalue-idl.js";
import { otelWanted, startOtel } from "./otel.js";
import { routersFromArgs } from "./router-args.js";
import { startServer } from "./server.js";

const { values } = parseArgs({
  args: cliArgs(),
  options: { port: { type: "string", short: "p" }, routers: { type: "string" }, "router-file": { type: "string" }, otel: { type: "boolean" } },
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
  // Before the channel: OpenTelemetry's SDK, Prometheus on :9464 (OTEL_EXPORTER_PROMETHEUS_PORT).
  const otel = otelWanted(values.otel) ? await startOtel(SERVICE, 9464) : undefined;
  if (otel?.metricsUrl !== undefined) console.log(`Metrics on ${otel.metricsUrl}`);
  const { tchannel, hostPort } = await startServer({ idlPath: defaultIdlPath(import.meta.url), port, routers });
  console.log(`Listening on ${hostPort}`);
  if (routers !== undefined) console.log(`Advertised on Hyperbahn (${routers.join(", ")})`);

  const stop = async () => {
    await tchannel.close();
    await otel?.shutdown();
    process.exit(0);
  };
  // Graceful: unadvertise, decline new calls, finish the ones in progress, close connections.
  process.once("SIGINT", () => void stop());
  process.once("SIGTERM", () => void stop());
} catch (err) {
  console.error(`keyvalue server: ${(err as Error).message}`);
  process.exit(1);
}
