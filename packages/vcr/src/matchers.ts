import { isDeepStrictEqual } from "node:util";
import { InvalidArgumentError } from "@tchannel/channel";
import type { CassetteRequest } from "./interaction.js";
import { jsonFromNh2Headers } from "./python-json.js";

/** tchannel-python's matcher names: each compares one field of the two requests. */
export type MatcherName = "serviceName" | "hostPort" | "endpoint" | "headers" | "body" | "argScheme" | "transportHeaders";

export const MATCHER_NAMES: readonly MatcherName[] = ["serviceName", "hostPort", "endpoint", "headers", "body", "argScheme", "transportHeaders"];

/** tchannel-python's DEFAULT_MATCHERS: everything but hostPort (ephemeral ports) and transport headers. */
export const DEFAULT_MATCHERS: readonly MatcherName[] = ["serviceName", "endpoint", "headers", "body", "argScheme"];

/** A matcher of your own: true if the call and the recorded request count as the same. */
export type MatcherFunction = (call: CassetteRequest, recorded: CassetteRequest) => boolean;

export interface NamedMatcher {
  name: string;
  matches: MatcherFunction;
}

function sameHeaders(a: CassetteRequest["transportHeaders"], b: CassetteRequest["transportHeaders"]): boolean {
  // Order-free: the order headers were set in says nothing about the call.
  const key = (h: { key: string; value: string }) => `${h.key}\0${h.value}`;
  const left = a.map(key).sort();
  const right = b.map(key).sort();
  return left.length === right.length && left.every((k, i) => k === right[i]);
}

function parseJson(value: Buffer, arg: "headers" | "body"): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(value.toString("utf8")) };
  } catch {
    // Python 0.15-0.20 recorded json headers in the nh:2 format.
    const headers = arg === "headers" ? jsonFromNh2Headers(value) : undefined;
    return headers === undefined ? { ok: false } : { ok: true, value: JSON.parse(headers) };
  }
}

/**
 * Equal bytes, or for json on both sides equal JSON values: tchannel-python writes `{"a": 1}`
 * where we send `{"a":1}` (and its 0.15-0.20 wrote headers as nh:2), and a cassette must
 * replay whichever side recorded it.
 */
function sameArg(call: CassetteRequest, recorded: CassetteRequest, arg: "headers" | "body"): boolean {
  const a = call[arg];
  const b = recorded[arg];
  if (a.equals(b)) return true;
  if (call.argScheme !== "json" || recorded.argScheme !== "json") return false;
  const left = parseJson(a, arg);
  const right = parseJson(b, arg);
  return left.ok && right.ok && isDeepStrictEqual(left.value, right.value);
}

const BUILT_IN: Record<MatcherName, MatcherFunction> = {
  serviceName: (a, b) => a.serviceName === b.serviceName,
  hostPort: (a, b) => a.hostPort === b.hostPort,
  endpoint: (a, b) => a.endpoint === b.endpoint,
  headers: (a, b) => sameArg(a, b, "headers"),
  body: (a, b) => sameArg(a, b, "body"),
  argScheme: (a, b) => a.argScheme === b.argScheme,
  transportHeaders: (a, b) => sameHeaders(a.transportHeaders, b.transportHeaders),
};

/** The matchers of `matchOn`; an unknown name is an InvalidArgumentError naming it (tchannel-python's wording). */
export function resolveMatchers(matchOn: ReadonlyArray<MatcherName | MatcherFunction>): NamedMatcher[] {
  for (const m of matchOn) {
    if (typeof m !== "function" && !(MATCHER_NAMES as readonly unknown[]).includes(m)) {
      throw new InvalidArgumentError(`${typeof m === "string" ? JSON.stringify(m) : String(m)} is not a known matcher (known: ${MATCHER_NAMES.join(", ")}, or a function)`);
    }
  }
  return matchOn.map((m, i) => (typeof m === "function" ? { name: m.name || `matcher #${i + 1}`, matches: m } : { name: m, matches: BUILT_IN[m] }));
}
