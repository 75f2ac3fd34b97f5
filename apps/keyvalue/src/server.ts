import { TChannel, thrift } from "tchannel-ts";
import { SERVICE } from "./keyvalue-idl.js";

export interface ServerOptions {
  idlPath: string;
  /** 0 (default) picks an ephemeral port. */
  port?: number;
  /** Hyperbahn routers to advertise to (host:port each). */
  routers?: string[];
  /** A JSON file with the Hyperbahn routers (the guide's host list). */
  routerFile?: string;
}

/** The guide's keyvalue server: an in-memory map behind KeyValue::getValue and ::setValue. */
export async function startServer(options: ServerOptions): Promise<{ tchannel: TChannel; hostPort: string }> {
  const tchannel = new TChannel({ name: SERVICE });
  const service = await thrift.load(options.idlPath, { service: SERVICE });
  const values = new Map<string, string>();

  tchannel.thrift.register(service.KeyValue, "getValue", (request) => {
    const key: string = request.body.key;
    const value = values.get(key);
    if (value === undefined) throw new service.NotFoundError({ key });
    return value;
  });

  tchannel.thrift.register(service.KeyValue, "setValue", (request) => {
    values.set(request.body.key, request.body.value);
  });

  const hostPort = await tchannel.listen(options.port);
  // As in the guide: with a router list, advertise on Hyperbahn (re-advertised every minute).
  if (options.routers !== undefined) await tchannel.advertise({ routers: options.routers });
  else if (options.routerFile !== undefined) await tchannel.advertise({ routerFile: options.routerFile });
  return { tchannel, hostPort };
}
