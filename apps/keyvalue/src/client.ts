import { TChannel, ThriftException, thrift } from "tchannel-ts";
import { SERVICE } from "./keyvalue-idl.js";

export interface ClientOptions {
  idlPath: string;
  /** The server's host:port; or else route through Hyperbahn: */
  peer?: string;
  /** Hyperbahn routers (host:port each) to call the server through. */
  routers?: string[];
  /** Also read this key, to show a NotFoundError when it is missing. */
  missingKey?: string;
  log?: (line: string) => void;
}

/** The guide's client: setValue("foo", "Hello, world!"), then getValue("foo"). */
export async function runClient(options: ClientOptions): Promise<string> {
  const log = options.log ?? ((line: string) => console.log(line));
  const tchannel = new TChannel({ name: "keyvalue-consumer" });
  // Without a peer, calls go through the routers, which relay them to an advertised server.
  if (options.routers !== undefined) tchannel.setRouters(options.routers);
  try {
    const service = await thrift.load(options.idlPath, options.peer === undefined ? { service: SERVICE } : { service: SERVICE, hostPort: options.peer });
    await tchannel.thrift(service.KeyValue.setValue({ key: "foo", value: "Hello, world!" }));
    log('setValue("foo", "Hello, world!")');
    const response = await tchannel.thrift(service.KeyValue.getValue({ key: "foo" }));
    log(`getValue("foo") -> ${JSON.stringify(response.body)}`);
    if (options.missingKey !== undefined) {
      try {
        await tchannel.thrift(service.KeyValue.getValue({ key: options.missingKey }));
      } catch (err) {
        if (!(err instanceof service.NotFoundError)) throw err;
        const notFound = err as ThriftException & { key: string };
        log(`getValue(${JSON.stringify(options.missingKey)}) -> NotFoundError: no value for key ${JSON.stringify(notFound.key)}`);
      }
    }
    return response.body as string;
  } finally {
    await tchannel.close();
  }
}
