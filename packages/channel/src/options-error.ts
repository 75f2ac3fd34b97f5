import type { z } from "zod";
import { type CallDescription, InvalidArgumentError } from "./errors.js";

// One readable line for options a zod schema refused, shared by every package that validates a
// public options object (TChannel, per-call, scheme, hyperbahn, sync, vcr), so a local mistake
// reads and is typed the same everywhere: an InvalidArgumentError naming each field, what it must
// be and what it was, never zod's JSON dump nor a raw ZodError.

/**
 * The InvalidArgumentError for options `schema.safeParse(input)` refused: `invalid <what>: <path>:
 * <problem> (got <value>)` for each issue. A key the schema does not know (a strict schema's
 * `unrecognized_keys`) reads `unknown option "timout" (did you mean "timeout"?)` when `known`
 * holds a close enough name. The ZodError is the cause.
 */
export function optionsError(what: string, error: z.ZodError, input: unknown, known: readonly string[] = []): InvalidArgumentError {
  const problems: string[] = [];
  for (const issue of error.issues) {
    const where = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) problems.push(where === "" ? unknownOption(key, known) : unknownOption(`${where}.${key}`, []));
      continue;
    }
    problems.push(`${where || "options"}: ${issue.message} (got ${showValue(valueAt(input, issue.path))})`);
  }
  return new InvalidArgumentError(`invalid ${what}: ${problems.join("; ")}`, {}, { cause: error });
}

/**
 * The InvalidArgumentError for options with keys not in `known`, worded as `optionsError` words
 * them (for options checked without zod, e.g. per call, where a parse would cost too much); `call`
 * names the call it belongs to, as for a per-call option of the wrong type.
 */
export function unknownOptionsError(what: string, keys: readonly string[], known: readonly string[], call: CallDescription = {}): InvalidArgumentError {
  return new InvalidArgumentError(`invalid ${what}: ${keys.map((key) => unknownOption(key, known)).join("; ")}`, call);
}

function unknownOption(key: string, known: readonly string[]): string {
  const near = nearest(key, known);
  return `unknown option ${JSON.stringify(key)}${near === undefined ? "" : ` (did you mean ${JSON.stringify(near)}?)`}`;
}

/** The known name closest to a misspelt one, if any is close (edit distance at most 1 in 3 letters, at least 2). */
export function nearest(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  const lower = name.toLowerCase();
  for (const candidate of known) {
    const d = editDistance(lower, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** Levenshtein distance, with adjacent transpositions counted as one edit (`timoeut`). */
function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, row[j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      row.push(d);
    }
    rows.push(row);
  }
  return rows[a.length]![b.length]!;
}

function valueAt(input: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** How a value looks in an options error: short, and never a dump of a large object. */
function showValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint" || value === null || value === undefined) return String(value);
  if (value instanceof Uint8Array) return `${value.constructor.name}(${value.length})`;
  if (Array.isArray(value)) return "an array";
  return typeof value === "function" ? "a function" : `an ${typeof value}`;
}
