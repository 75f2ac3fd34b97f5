import { isScalar, parseDocument, stringify, visit } from "yaml";
import { z } from "zod";
import type { CassetteRequest, CassetteResponse, Interaction } from "./interaction.js";
import { PLAIN_NULLS, READ_TAGS, pyBinary, pyString } from "./pyyaml-scalars.js";
import { CassetteFormatError, UnsupportedCassetteVersionError } from "./vcr-errors.js";

/** The version of tchannel-python's cassette format, the only one there is. */
export const CASSETTE_VERSION = 1;

/** VCRProxy's `ArgScheme` enum: cassettes store the number. */
const ARG_SCHEMES = ["raw", "json", "thrift"] as const;

/** Keys that could reach an object's prototype if some code copied the data carelessly. */
const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

// Every scalar arrives as its text (see READ_TAGS), bytes as Buffers, empty values as null.
// Binary fields hold `!!binary` (what Python 3 writes) or text (UTF-8, what Python 2 wrote).
const Bytes = z.union([z.string(), z.instanceof(Uint8Array)]).transform((v) => (typeof v === "string" ? Buffer.from(v, "utf8") : Buffer.from(v)));
const Text = z.union([z.string(), z.instanceof(Uint8Array)]).transform((v) => (typeof v === "string" ? v : Buffer.from(v).toString("utf8")));
/** A YAML 1.1 decimal integer (what PyYAML writes for an int), or one read through `!!int`. */
const Int = z.union([z.number().int(), z.string().regex(/^[-+]?(0|[1-9][0-9_]*)$/).transform((v) => Number(v.replace(/_/g, "")))]);
const ArgScheme = z.union([Int.pipe(z.number().min(0).max(ARG_SCHEMES.length - 1)).transform((v) => ARG_SCHEMES[v]!), z.string().regex(/^[A-Za-z_][\w.-]*$/)]).transform((v) => {
  const lower = v.toLowerCase();
  return (ARG_SCHEMES as readonly string[]).includes(lower) ? lower : v;
});
const StatusCode = z.union([Int.pipe(z.union([z.literal(0), z.literal(1)])), z.enum(["SUCCESS", "FAILURE"])]).transform((v) => (v === 0 || v === "SUCCESS" ? 0 : 1));
/** An absent or empty (null) optional field takes VCRProxy's default, as in tchannel-python. */
const optional = <T extends z.ZodTypeAny>(schema: T, fallback: () => z.output<T>) => schema.nullish().transform((v) => v ?? fallback());

// Optional fields and their defaults are VCRProxy's (proxy.thrift); unknown fields are ignored.
const RequestSchema = z.object({
  serviceName: Text,
  endpoint: Text,
  headers: optional(Bytes, () => Buffer.alloc(0)),
  body: Bytes,
  hostPort: optional(Text, () => ""),
  argScheme: optional(ArgScheme, () => "raw"),
  transportHeaders: optional(z.array(z.object({ key: Text, value: Text })), () => []),
  knownPeers: optional(z.array(Text), () => []),
});
const ResponseSchema = z.object({
  code: StatusCode,
  headers: optional(Bytes, () => Buffer.alloc(0)),
  body: Bytes,
  error: z
    .object({ code: Int.pipe(z.number().min(0).max(255)), type: optional(z.string(), () => ""), message: optional(z.string(), () => "") })
    .nullish()
    .transform((v) => v ?? undefined),
});
const CassetteSchema = z.object({
  version: z.unknown(),
  interactions: optional(z.array(z.object({ request: RequestSchema, response: ResponseSchema })), () => []),
});

/** What each field must hold, for the message that rejects a file. */
const EXPECTED: Record<string, string> = {
  interactions: "a list of interactions",
  request: "a mapping of the request's fields",
  response: "a mapping of the response's fields",
  serviceName: "a string",
  endpoint: "a string",
  headers: "bytes (!!binary) or a string",
  body: "bytes (!!binary) or a string",
  hostPort: "bytes (!!binary) or a string",
  argScheme: "0 (raw), 1 (json), 2 (thrift) or a scheme name",
  transportHeaders: "a list of {key, value} mappings",
  key: "bytes (!!binary) or a string",
  value: "bytes (!!binary) or a string",
  knownPeers: "a list of host:port (bytes or strings)",
  code: "0 (success) or 1 (application error)",
  error: "a mapping with code, type and message",
  type: "a string",
  message: "a string",
};

/** A value as a message shows it. */
function describeFound(value: unknown): string {
  if (value === undefined) return "nothing (the field is missing)";
  if (value === null) return "an empty value";
  if (value instanceof Uint8Array) return `!!binary bytes (${value.length} bytes)`;
  if (typeof value === "string") return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}...` : value);
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return String(value);
}

function valueAt(data: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let value = data;
  for (const key of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** "interaction #2 (interactions[1]), field request.endpoint: found "x", expected a string". */
function describeIssue(data: unknown, path: ReadonlyArray<PropertyKey>): string {
  const found = describeFound(valueAt(data, path));
  const leaf = [...path].reverse().find((p): p is string => typeof p === "string") ?? "";
  const expected = path.length > 0 && typeof path[path.length - 1] === "number" ? `an item of ${EXPECTED[leaf] ?? "the list"}` : (EXPECTED[leaf] ?? "a valid value");
  if (path[0] === "interactions" && typeof path[1] === "number") {
    const field = path.slice(2).map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join("");
    return `interaction #${path[1] + 1} (interactions[${path[1]}])${field ? `, field ${field}` : ""}: found ${found}, expected ${expected}`;
  }
  return `field ${path.map(String).join(".") || "the top"}: found ${found}, expected ${expected}`;
}

function checkKeys(value: unknown, path: string, file: string): void {
  if (value === null || typeof value !== "object" || value instanceof Uint8Array) return;
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_KEYS.has(key)) throw new CassetteFormatError(`cassette ${file}: forbidden key ${JSON.stringify(key)} at ${path || "the top"}`);
    checkKeys((value as Record<string, unknown>)[key], path ? `${path}.${key}` : key, file);
  }
}

function showPath(path: ReadonlyArray<PropertyKey>): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join("") || "the top";
}

/**
 * Reads a cassette's text. An empty file holds no interactions (as in tchannel-python); anything
 * that is not a version 1 cassette throws CassetteFormatError or UnsupportedCassetteVersionError.
 */
export function parseCassette(text: string, file: string): Interaction[] {
  const doc = parseDocument(text, { version: "1.1", schema: "failsafe", customTags: READ_TAGS, uniqueKeys: true, prettyErrors: true });
  const problems = [...doc.errors, ...doc.warnings];
  if (problems.length > 0) throw new CassetteFormatError(`cassette ${file} is not valid YAML: ${problems[0]!.message}`);
  // YAML 1.1's nulls (an empty value, `~`, `null`) in plain style: the schema gives optional fields their default.
  visit(doc, {
    Scalar(_, node) {
      if (node.type === "PLAIN" && node.tag === undefined && typeof node.value === "string" && PLAIN_NULLS.has(node.value)) node.value = null;
    },
  });
  let data: unknown;
  try {
    data = isScalar(doc.contents) && doc.contents.value === null ? null : doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new CassetteFormatError(`cassette ${file} is not valid YAML: ${(err as Error).message}`, { cause: err });
  }
  if (data === null || data === undefined) return [];
  if (typeof data !== "object" || Array.isArray(data)) throw new CassetteFormatError(`cassette ${file}: expected a mapping with version and interactions, found ${describeFound(data)}`);
  checkKeys(data, "", file);
  const version = (data as { version?: unknown }).version;
  if (version === undefined || version === null) throw new CassetteFormatError(`cassette ${file}: no version (expected version: ${CASSETTE_VERSION})`);
  const versionNumber = Int.safeParse(version);
  if (!versionNumber.success || versionNumber.data !== CASSETTE_VERSION) {
    throw new UnsupportedCassetteVersionError(
      `cassette ${file} is an unsupported version of the format: version ${typeof version === "string" ? version : describeFound(version)} (this library reads version ${CASSETTE_VERSION})`,
    );
  }
  const parsed = CassetteSchema.safeParse(data);
  if (!parsed.success) {
    const issues = parsed.error.issues;
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more problems)` : "";
    throw new CassetteFormatError(`cassette ${file}: ${describeIssue(data, issues[0]!.path)}${more}`);
  }
  return (parsed.data.interactions ?? []).map((i) => ({ request: i.request as CassetteRequest, response: i.response as CassetteResponse }));
}

/** Bytes as Python 3 writes them (`!!binary`); strings stay strings (double-quoted, see pyString). */
function requestData(r: CassetteRequest): Record<string, unknown> {
  const scheme = (ARG_SCHEMES as readonly string[]).indexOf(r.argScheme);
  const bytes = (text: string) => Buffer.from(text, "utf8");
  // Keys in PyYAML's order (sorted), so the files diff cleanly whichever side wrote them.
  return {
    argScheme: scheme >= 0 ? scheme : r.argScheme,
    body: r.body,
    endpoint: r.endpoint,
    headers: r.headers,
    hostPort: bytes(r.hostPort),
    knownPeers: r.knownPeers.map(bytes),
    serviceName: r.serviceName,
    transportHeaders: r.transportHeaders.map((h) => ({ key: bytes(h.key), value: bytes(h.value) })),
  };
}

function responseData(r: CassetteResponse): Record<string, unknown> {
  const data: Record<string, unknown> = { body: r.body, code: r.code };
  if (r.error) data.error = { code: r.error.code, message: r.error.message, type: r.error.type };
  data.headers = r.headers;
  return data;
}

/**
 * The cassette as tchannel-python writes it: block style, sorted keys, every bytes field
 * `!!binary`, and strings quoted so that PyYAML 6 (YAML 1.1) reads back the same values.
 */
export function serializeCassette(interactions: readonly Interaction[]): string {
  const data = {
    interactions: interactions.map((i) => ({ request: requestData(i.request), response: responseData(i.response) })),
    version: CASSETTE_VERSION,
  };
  return stringify(data, {
    version: "1.1",
    // Ours for strings and bytes; and no merge-key tag, which would write the string "<<" plain.
    customTags: (tags) => [pyString, pyBinary, ...tags.filter((t) => typeof t !== "object" || ![pyString.tag, pyBinary.tag, "tag:yaml.org,2002:merge"].includes(t.tag))],
    lineWidth: 0,
    indentSeq: false,
    aliasDuplicateObjects: false,
  });
}
