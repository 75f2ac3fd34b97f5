import type { CallOptions, RawCallOptions } from "./call-types.js";
import { type CallDescription, InvalidArgumentError } from "./errors.js";
import { unknownOptionsError } from "./options-error.js";
import type { SchemeCallOptions } from "./scheme.js";
import type { StreamedCallOptions } from "./streamed-types.js";

// Per-call options are strict: a misspelt `timout` is an InvalidArgumentError naming the nearest
// option, never silently ignored (the caller's timeout would be lost). The check runs on every
// call, so no zod: a `for...in` over the caller's object and a `switch` per key, which allocates
// nothing and costs ~15 ns for five keys (a Set or object lookup costs 3-4 times that; V8 compares
// the interned keys of a switch by pointer). The compiler holds each switch and each list to its
// option type: a key added to the type and not here, or here and not in the type, does not compile.

/** Every key of `CallOptions` (for a scheme package to list its own: `{ ...CALL_OPTION_KEYS, headers: true }`). */
export const CALL_OPTION_KEYS = Object.freeze({
  service: true,
  timeout: true,
  timeoutPerAttempt: true,
  retryOn: true,
  retryLimit: true,
  hostPort: true,
  shardKey: true,
  routingDelegate: true,
  callerName: true,
  checksumType: true,
  signal: true,
  transportHeaders: true,
} as const satisfies Record<keyof CallOptions, true>);

/** Whether `key` is an option of `CallOptions`. */
export function isCallOptionName(key: string): boolean {
  const name = key as keyof CallOptions;
  switch (name) {
    case "service":
    case "timeout":
    case "timeoutPerAttempt":
    case "retryOn":
    case "retryLimit":
    case "hostPort":
    case "shardKey":
    case "routingDelegate":
    case "callerName":
    case "checksumType":
    case "signal":
    case "transportHeaders":
      return true;
    default: {
      const missing: never = name; // a CallOptions key with no case above does not compile
      void missing;
      return false;
    }
  }
}

function isRawCallOptionName(key: string): boolean {
  const name = key as keyof RawCallOptions;
  switch (name) {
    case "scheme":
    case "arg1":
    case "arg2":
    case "arg3":
      return true;
    default: {
      const rest: keyof CallOptions = name; // a RawCallOptions key of its own with no case above does not compile
      return isCallOptionName(rest);
    }
  }
}

function isSchemeCallOptionName(key: string): boolean {
  const name = key as keyof SchemeCallOptions<unknown, unknown>;
  switch (name) {
    case "endpoint":
    case "body":
    case "headers":
      return true;
    default: {
      const rest: keyof CallOptions = name;
      return isCallOptionName(rest);
    }
  }
}

function isStreamedCallOptionName(key: string): boolean {
  const name = key as keyof StreamedCallOptions | "retryOn" | "retryLimit";
  switch (name) {
    case "retryOn": // a streamed call is never retried (StreamedCallOptions omits them)
    case "retryLimit":
      return false;
    default: {
      const rest: keyof RawCallOptions = name;
      return isRawCallOptionName(rest);
    }
  }
}

/** The options of `TChannel.call` (`RawCallOptions`), for messages. */
export const RAW_CALL_OPTION_NAMES: readonly string[] = Object.freeze(Object.keys({ ...CALL_OPTION_KEYS, scheme: true, arg1: true, arg2: true, arg3: true } as const satisfies Record<keyof RawCallOptions, true>));
/** The options of `raw`, `json` and every `scheme(...)` client (`SchemeCallOptions`), for messages. */
export const SCHEME_CALL_OPTION_NAMES: readonly string[] = Object.freeze(Object.keys({ ...CALL_OPTION_KEYS, endpoint: true, body: true, headers: true } as const satisfies Record<keyof SchemeCallOptions<unknown, unknown>, true>));
/** The options of `callStreamed` (`StreamedCallOptions`: never retried, so no `retryOn`/`retryLimit`), for messages. */
export const STREAMED_CALL_OPTION_NAMES: readonly string[] = Object.freeze(RAW_CALL_OPTION_NAMES.filter((name) => name !== "retryOn" && name !== "retryLimit"));

// One loop per entry point (not one loop taking a predicate): each stays monomorphic and inlines its switch.
// Inherited enumerable keys count (`for...in` walks them), as the call reads them (`options.timeout`
// walks the prototype); a key whose value is `undefined` counts too: it is still misspelt.

/** The first key of a `call()`'s options that RawCallOptions does not have, or undefined. */
export function unknownRawCallOption(options: object): string | undefined {
  for (const key in options) if (!isRawCallOptionName(key)) return key;
  return undefined;
}

/** The first key of a scheme client's options that SchemeCallOptions does not have, or undefined. */
export function unknownSchemeCallOption(options: object): string | undefined {
  for (const key in options) if (!isSchemeCallOptionName(key)) return key;
  return undefined;
}

/** The first key of a `callStreamed()`'s options that StreamedCallOptions does not have, or undefined. */
export function unknownStreamedCallOption(options: object): string | undefined {
  for (const key in options) if (!isStreamedCallOptionName(key)) return key;
  return undefined;
}

/**
 * The InvalidArgumentError for `options`, in which a check found a key `isKnown` refuses: every
 * such key named, each with the nearest of `known` (computed only now, on failure). `call` names
 * the call (service, endpoint) in the error's fields, as for an option value of the wrong type.
 */
export function unknownCallOptionsError(options: object, isKnown: (key: string) => boolean, known: readonly string[], call: CallDescription = {}): InvalidArgumentError {
  const unknown: string[] = [];
  for (const key in options) if (!isKnown(key)) unknown.push(key);
  return unknownOptionsError("call options", unknown, known, call);
}

/** `unknownCallOptionsError` for each of this package's entry points. */
export const rawCallOptionsError = (options: object, call: CallDescription): InvalidArgumentError => unknownCallOptionsError(options, isRawCallOptionName, RAW_CALL_OPTION_NAMES, call);
export const schemeCallOptionsError = (options: object, call: CallDescription): InvalidArgumentError => unknownCallOptionsError(options, isSchemeCallOptionName, SCHEME_CALL_OPTION_NAMES, call);
export function streamedCallOptionsError(options: object, call: CallDescription): InvalidArgumentError {
  // Known to every other entry point: say why they do not apply here rather than "unknown option".
  for (const key in options) {
    if (key === "retryOn" || key === "retryLimit") return new InvalidArgumentError(`invalid call options: ${key} does not apply to callStreamed (a streamed call is never retried: its body cannot be sent twice)`, call);
  }
  return unknownCallOptionsError(options, isStreamedCallOptionName, STREAMED_CALL_OPTION_NAMES, call);
}
