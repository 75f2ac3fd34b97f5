import { CALL_OPTION_KEYS, type InvalidArgumentError, optionsError, unknownOptionsError } from "@tchannel/channel";
import { z } from "zod";

/**
 * A caller's mistake as the async client reports it: an InvalidArgumentError (a TChannelError of
 * its own, no wire code, not retryable) naming each field, what it must be and what it was. Never
 * a BadRequestError (code 6 says the remote peer refused the call) and never a raw ZodError.
 * (It was a TypeError or RangeError before; the messages are the same.)
 */
export function argumentError(what: string, error: z.ZodError, input: unknown, known: readonly string[] = []): InvalidArgumentError {
  return optionsError(what, error, input, known);
}

/** Every per-call option of @tchannel/channel's `CallOptions` (its list, which its compiler keeps whole). */
const CALL_OPTION_NAMES = Object.keys(CALL_OPTION_KEYS);

/** What `call` takes (`RawCallOptions`). */
export const RAW_CALL_OPTION_NAMES: readonly string[] = [...CALL_OPTION_NAMES, "scheme", "arg1", "arg2", "arg3"];
/** What `raw`, `json` and `scheme(...)` clients take (`SchemeCallOptions`). */
export const SCHEME_CALL_OPTION_NAMES: readonly string[] = [...CALL_OPTION_NAMES, "endpoint", "body", "headers"];
/** What `thrift(request, options)` takes (`ThriftCallOptions`). */
export const THRIFT_CALL_OPTION_NAMES: readonly string[] = [...CALL_OPTION_NAMES, "headers", "maxElements"];

/**
 * Per-call options are strict in the sync client, at each public entry point with that entry's
 * own names (a scheme's `endpoint`/`body`/`headers` then travel down in the encoded call, which is
 * not checked again): a misspelt `timout` is an error naming the nearest option, not ignored.
 */
export function checkKnownOptions(options: unknown, known: readonly string[]): void {
  if (typeof options !== "object" || options === null) return; // the value checks say what is wrong
  let unknown: string[] | undefined;
  for (const key in options) if (!known.includes(key)) (unknown ??= []).push(key);
  if (unknown !== undefined) throw unknownOptionsError("call options", unknown, known);
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
  timeoutPerAttempt: z.number().int().positive().optional(),
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
export const SyncOnlyOptionsSchema = z.strictObject({
  startupTimeout: z.number().int().positive().optional(),
  workerExtensions: z.array(z.union([z.string().min(1), z.instanceof(URL)])).optional(),
});

/** `invoke`'s options (strict: a misspelt `timout` is an error). */
export const InvokeOptionsSchema = z.strictObject({
  timeout: z.number().int().positive().optional(),
  replay: z.boolean().optional(),
});
