import { networkInterfaces } from "node:os";
import { InvalidArgumentError } from "./errors.js";

/** The `host_port` a process that does not listen sends in init (spec §4). */
export const EPHEMERAL_HOST_PORT = "0.0.0.0:0";

/** Splits `host:port` on the last colon (IPv6 is `[addr]:port`). Throws InvalidArgumentError on anything else. */
export function parseHostPort(hostPort: string): { host: string; port: number } {
  const at = hostPort.lastIndexOf(":");
  const port = Number(hostPort.slice(at + 1));
  let host = hostPort.slice(0, at);
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  if (at <= 0 || !Number.isInteger(port) || port < 0 || port > 65535 || host === "") {
    throw new InvalidArgumentError(`expected "host:port", got ${JSON.stringify(hostPort)}`);
  }
  return { host, port };
}

/**
 * This machine's first non-internal IPv4 address, else 127.0.0.1. A listening channel advertises
 * a numeric IPv4 `host_port`: tchannel-node drops connections that send hostnames (spec §4).
 */
export function localIPv4(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return "127.0.0.1";
}
