import { z } from "zod";

/**
 * A caller's mistake as the error a JavaScript API throws for one: TypeError when a value has the
 * wrong type, RangeError when it has the right type but not an allowed value (NaN, -1, "x" where
 * host:port is expected). Never a BadRequestError (code 6 says the remote peer refused the call)
 * and never a raw ZodError. The message names each field, what it must be and what it was.
 */
export function argumentError(what: string, error: z.ZodError, input: unknown): TypeError | RangeError {
  const first = error.issues[0]!;
  const found = valueAt(input, first.path);
  // NaN and Infinity are numbers of a value not allowed, not a wrong type.
  const wrongType = first.code === "invalid_type" && !(typeof found === "number" && ["number", "int", "nan"].includes(String(first.expected)));
  const problems = error.issues.map((issue) => `${issue.path.map(String).join(".") || "options"}: ${issue.message} (got ${show(valueAt(input, issue.path))})`);
  const Cls = wrongType ? TypeError : RangeError;
  return new Cls(`invalid ${what}: ${problems.join("; ")}`, { cause: error });
}

function valueAt(input: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint" || value === null || value === undefined) return String(value);
  if (value instanceof Uint8Array) return `${value.constructor.name}(${value.length})`;
  if (Array.isArray(value)) return "an array";
  return typeof value === "function" ? "a function" : `an ${typeof value}`;
}

const hostPort = z.string().regex(/^.+:\d+$/, "expected host:port");

/**
 * A call's options as `TChannel`'s constructor validates its own: what the sync client checks on
 * the calling thread, before anything reaches the worker (or a cassette), so a mistake is an
 * argument error at once rather than a worker that waits "100" + 500 ms and is then replaced.
 */
export const SyncCallOptionsSchema = z.object({
  service: z.string().min(1),
  scheme: z.string().min(1),
  arg1: z.union([z.string(), z.instanceof(Uint8Array)]),
  arg2: z.instanceof(Uint8Array).optional(),
  arg3: z.instanceof(Uint8Array).optional(),
  timeout: z.number().int().positive().optional(),
  retryOn: z.enum(["c", "t", "ct", "tc", "n"]).optional(),
  retryLimit: z.number().int().nonnegative().optional(),
  hostPort: hostPort.optional(),
  shardKey: z.string().optional(),
  routingDelegate: z.string().optional(),
  callerName: z.string().min(1).optional(),
  /** ChecksumType: None 0, Crc32 1, Farmhash32 2, Crc32C 3 (spec §8). */
  checksumType: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)]).optional(),
  transportHeaders: z.record(z.string(), z.string()).optional(),
  signal: z.unknown().optional(),
});

/** `SyncTChannel`'s own options beyond the TChannel ones. */
export const SyncOnlyOptionsSchema = z.object({
  startupTimeout: z.number().int().positive().optional(),
  workerExtensions: z.array(z.union([z.string().min(1), z.instanceof(URL)])).optional(),
});

/** `invoke`'s options. */
export const InvokeOptionsSchema = z.object({
  timeout: z.number().int().positive().optional(),
  replay: z.boolean().optional(),
});
