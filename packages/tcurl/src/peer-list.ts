// Peers from the command line (-p host:port) and from a peer list file (-P hosts.json: a JSON
// array of "host:port", as Hyperbahn's hosts.json and Uber's tcurl use).
import { readFileSync } from "node:fs";
import { parseHostPort } from "@tchannel/channel";
import { UsageError } from "./exit-codes.js";

/** Checks one "host:port"; `from` names where it came from in the error message. */
export function validatePeer(peer: string, from: string): string {
  try {
    parseHostPort(peer);
  } catch {
    throw new UsageError(`${from}: expected host:port, got ${JSON.stringify(peer)}`);
  }
  return peer;
}

/** Reads a peer list file: a non-empty JSON array of "host:port" strings. */
export function readPeerList(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read the peer list ${path}: ${code === "ENOENT" ? "no such file" : (err as Error).message}`);
  }
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`the peer list ${path} is not JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(list) || list.length === 0 || !list.every((p) => typeof p === "string")) {
    throw new UsageError(`the peer list ${path} must be a non-empty JSON array of "host:port" strings`);
  }
  return list.map((p: string) => validatePeer(p, path));
}
