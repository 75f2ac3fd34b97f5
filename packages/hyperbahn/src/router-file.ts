import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { z } from "zod";

const RouterListSchema = z.array(z.string().regex(/^[^:\s]+:\d{1,5}$/, "expected host:port")).min(1);

/** Thrown when a router file cannot be read or does not hold a JSON array of `host:port` strings. */
export class RouterFileError extends Error {
  readonly code = "TCHANNEL_HYPERBAHN_ROUTER_FILE";
  readonly path: string;
  constructor(message: string, path: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "RouterFileError";
    this.path = path;
  }
}

/**
 * Reads a Hyperbahn host list, `["10.0.0.1:21300", ...]` (the file tchannel-python's
 * `router_file` and tcurl's `-P` take). Relative paths resolve against the working directory.
 */
export function readRouterFile(path: string): string[] {
  const full = resolve(path);
  let text: string;
  try {
    text = readFileSync(full, "utf8");
  } catch (err) {
    throw new RouterFileError(`cannot read the router file ${full}: ${(err as Error).message}`, full, { cause: err });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new RouterFileError(`the router file ${full} is not JSON: ${(err as Error).message}`, full, { cause: err });
  }
  const parsed = RouterListSchema.safeParse(value);
  if (!parsed.success) {
    throw new RouterFileError(`the router file ${full} must hold a non-empty JSON array of "host:port" strings`, full, { cause: parsed.error });
  }
  return parsed.data;
}
