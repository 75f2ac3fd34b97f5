import type { RawCallOptions } from "./call-types.js";

// Checks of what JS callers pass to the public entry points (issue 15): a number from JSON where
// a string belongs, `timeout: "5000"`, `retryOn: "zz"`... Each returns what is wrong, as words for
// an InvalidArgumentError, or undefined. Plain typeof checks, no allocation when all is well: they
// run on every call (a zod parse per call would cost more than the call; see ARCHITECTURE.md).

/** setTimeout's ceiling: a longer delay fires at once (Node clamps it to 1 ms). */
export const MAX_TIMEOUT = 2 ** 31 - 1;

const RETRY_FLAGS = new Set(["c", "t", "ct", "tc", "n"]);

/** How a value looks in an error message: its type, and the value when short. */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "string") return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return `${typeof value} ${String(value)}`;
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return value.constructor?.name ? `an object (${value.constructor.name})` : "an object";
  return typeof value;
}

function isBytes(value: unknown): boolean {
  return value instanceof Uint8Array;
}

function isDuration(value: unknown): boolean {
  return typeof value === "number" && value > 0 && value <= MAX_TIMEOUT;
}

function optionalString(options: RawCallOptions, key: "hostPort" | "shardKey" | "routingDelegate" | "callerName"): string | undefined {
  const value = options[key];
  return value === undefined || typeof value === "string" ? undefined : `${key} must be a string, got ${describeValue(value)}`;
}

/** What is wrong with a low-level call's options, or undefined. */
export function callOptionsProblem(options: RawCallOptions): string | undefined {
  if (typeof options !== "object" || options === null) return `call options must be an object, got ${describeValue(options)}`;
  const { service, scheme, arg1, arg2, arg3, timeout, retryOn, retryLimit, checksumType, signal, transportHeaders } = options;
  if (typeof service !== "string" || service === "") return `service must be a non-empty string, got ${describeValue(service)}`;
  if (typeof scheme !== "string" || scheme === "") return `scheme must be a non-empty string, got ${describeValue(scheme)}`;
  if (typeof arg1 === "string" ? arg1 === "" : !isBytes(arg1)) return `the endpoint (arg1) must be a non-empty string or bytes, got ${describeValue(arg1)}`;
  if (arg2 !== undefined && !isBytes(arg2)) return `arg2 (headers) must be bytes (a Buffer or Uint8Array), got ${describeValue(arg2)}`;
  if (arg3 !== undefined && !isBytes(arg3)) return `arg3 (body) must be bytes (a Buffer or Uint8Array), got ${describeValue(arg3)}`;
  if (timeout !== undefined && !isDuration(timeout)) return `timeout must be a number of milliseconds above 0 and at most ${MAX_TIMEOUT}, got ${describeValue(timeout)}`;
  const perAttempt = options.timeoutPerAttempt;
  if (perAttempt !== undefined && !isDuration(perAttempt)) return `timeoutPerAttempt must be a number of milliseconds above 0 and at most ${MAX_TIMEOUT}, got ${describeValue(perAttempt)}`;
  if (retryOn !== undefined && !(typeof retryOn === "string" && RETRY_FLAGS.has(retryOn))) return `retryOn must be one of "c", "t", "ct", "tc", "n", got ${describeValue(retryOn)}`;
  if (retryLimit !== undefined && !(Number.isInteger(retryLimit) && retryLimit >= 0)) return `retryLimit must be an integer of 0 or more, got ${describeValue(retryLimit)}`;
  const problem = optionalString(options, "hostPort") ?? optionalString(options, "shardKey") ?? optionalString(options, "routingDelegate") ?? optionalString(options, "callerName");
  if (problem !== undefined) return problem;
  if (checksumType !== undefined && !(checksumType === 0 || checksumType === 1 || checksumType === 2 || checksumType === 3)) {
    return `checksumType must be a ChecksumType (0-3), got ${describeValue(checksumType)}`;
  }
  if (signal !== undefined && !(typeof signal === "object" && signal !== null && typeof signal.aborted === "boolean" && typeof signal.addEventListener === "function")) {
    return `signal must be an AbortSignal, got ${describeValue(signal)}`;
  }
  if (transportHeaders !== undefined) {
    if (typeof transportHeaders !== "object" || transportHeaders === null) return `transportHeaders must be an object of strings, got ${describeValue(transportHeaders)}`;
    for (const key in transportHeaders) {
      const value = transportHeaders[key];
      if (typeof value !== "string") return `transport header ${JSON.stringify(key)} must be a string, got ${describeValue(value)}`;
    }
  }
  return undefined;
}

/** What is wrong with a streamed call's options (`callStreamed`), or undefined. */
export function streamedCallOptionsProblem(options: { arg2?: unknown; arg3?: unknown }): string | undefined {
  if (typeof options !== "object" || options === null) return `call options must be an object, got ${describeValue(options)}`;
  for (const key of ["arg2", "arg3"] as const) {
    const value = options[key];
    if (value === undefined || typeof value === "string" || value instanceof Uint8Array) continue;
    const v = value as { [Symbol.iterator]?: unknown; [Symbol.asyncIterator]?: unknown } | null;
    if (typeof v === "object" && v !== null && (typeof v[Symbol.iterator] === "function" || typeof v[Symbol.asyncIterator] === "function")) continue;
    return `${key} must be bytes, a string, or an (async) iterable of them, got ${describeValue(value)}`;
  }
  // The rest as a low-level call's (not a hot path: one object per streamed call is nothing).
  return callOptionsProblem(Object.assign({}, options, { arg2: undefined, arg3: undefined }) as unknown as RawCallOptions);
}

/** What is wrong with `register`'s arguments, or undefined. */
export function registerProblem(endpoint: unknown, scheme: unknown, handler: unknown, options: unknown): string | undefined {
  if (typeof endpoint !== "string" || endpoint === "") return `the endpoint must be a non-empty string, got ${describeValue(endpoint)}`;
  if (typeof scheme !== "string" || scheme === "") return `the scheme must be a non-empty string, got ${describeValue(scheme)}`;
  if (typeof handler !== "function") return `the handler must be a function, got ${describeValue(handler)}`;
  if (typeof options !== "object" || options === null) return `register options must be an object, got ${describeValue(options)}`;
  const { service, maxRequestSize } = options as { service?: unknown; maxRequestSize?: unknown };
  if (service !== undefined && (typeof service !== "string" || service === "")) return `service must be a non-empty string, got ${describeValue(service)}`;
  if (maxRequestSize !== undefined && !(Number.isInteger(maxRequestSize) && (maxRequestSize as number) > 0)) {
    return `maxRequestSize must be a positive integer (bytes), got ${describeValue(maxRequestSize)}`;
  }
  return undefined;
}

/** What is wrong with a `host:port` argument, or undefined. */
export function hostPortProblem(what: string, hostPort: unknown): string | undefined {
  if (typeof hostPort !== "string") return `${what} must be a "host:port" string, got ${describeValue(hostPort)}`;
  const at = hostPort.lastIndexOf(":");
  const port = Number(hostPort.slice(at + 1));
  if (at <= 0 || hostPort.slice(at + 1) === "" || !Number.isInteger(port) || port < 0 || port > 65535) return `${what} must be "host:port", got ${JSON.stringify(hostPort)}`;
  return undefined;
}
