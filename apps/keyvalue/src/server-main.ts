// pnpm keyvalue:server -- [--port P] [--routers host:port,... | --router-file hosts.json] [--otel]
import { type CommandSpec, parseCommandLine, usageError, valuesOrExit } from "./command-line.js";
import { SERVICE, defaultIdlPath } from "./keyvalue-idl.js";
import { otelWanted, startOtel } from "./otel.js";
import { routersFromArgs } from "./router-args.js";
import { startServer } from "./server.js";

const SPEC: CommandSpec = {
  name: "keyvalue server",
  usage: "keyvalue server [--port P] [--routers host:port,... | --router-file hosts.json] [--otel]",
  options: {
    port: { short: "p", description: "port to listen on (default: an ephemeral one)" },
    routers: { description: "advertise on these Hyperbahn routers" },
    "router-file": { description: "advertise on the routers listed in this JSON file" },
    otel: { flag: true, description: "OpenTelemetry: Prometheus metrics on :9464, OTLP spans" },
  },
};

const values = valuesOrExit(parseCommandLine(SPEC, process.argv.slice(2))) as {
  port?: string;
  routers?: string;
  "router-file"?: string;
  otel?: boolean;
};
const port = values.port === undefined ? 0 : Number(values.port);
if (!/^\d+$/.test(values.port ?? "0") || port > 65535) valuesOrExit(usageError(SPEC, `--port wants a port number (0-65535), got ${JSON.stringify(values.port)}`));
let routers: string[] | undefined;
try {
  routers = routersFromArgs(values);
} catch (err) {
  valuesOrExit(usageError(SPEC, (err as Error).message));
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
