import { fileURLToPath } from "node:url";

/** Where the IDL lives, for the programs in dist/ (tests pass their own path). */
export function defaultIdlPath(metaUrl: string): string {
  return fileURLToPath(new URL("../thrift/keyvalue.thrift", metaUrl));
}

/** The TChannel service name the server registers and the client calls (as in the guide). */
export const SERVICE = "keyvalue-server";
