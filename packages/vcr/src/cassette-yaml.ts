import { type ScalarTag, parseDocument, stringify } from "yaml";
import { z } from "zod";
import type { CassetteRequest, CassetteResponse, Interaction } from "./interaction.js";
import { CassetteFormatError, UnsupportedCassetteVersionError } from "./vcr-errors.js";

/** The version of tchannel-python's cassette format, the only one there is. */
export const CASSETTE_VERSION = 1;

/** VCRProxy's `ArgScheme` enum: cassettes store the number. */
const ARG_SCHEMES = ["raw", "json", "thrift"] as const;

/**
 * tchannel-python 2 wrote text with PyYAML's Python tags (`endpoint: !!python/unicode 'hello'`).
 * They only say "this is a string", so they read as strings; every other tag outside YAML 1.1's
 * standard ones is refused (PyYAML's `!!python/object/apply` would run code).
 */
const PYTHON_STRING_TAGS: ScalarTag[] = ["python/unicode", "python/str", "python/bytes"].map((name) => ({
  tag: `tag:yaml.org,2002:${name}`,
  resolve: (value: string) => value,
}));

/** Keys that could reach an object's prototype if some code copied the data carelessly. */
const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

// Binary fields hold text (a YAML string, UTF-8) or `!!binary` (base64); both become bytes.
const Bytes = z.union([z.string(), z.instanceof(Uint8Array)]).transform((v) => (typeof v === "string" ? Buffer.from(v, "utf8") : Buffer.from(v)));
const Text = z.union([z.string(), z.instanceof(Uint8Array)]).transform((v) => (typeof v === "string" ? v : Buffer.from(v).toString("utf8")));
const ArgScheme = z.union([z.number().int().min(0).max(ARG_SCHEMES.length - 1), z.string().min(1)]).transform((v) => {
  if (typeof v === "number") return ARG_SCHEMES[v]!;
  const lower = v.toLowerCase();
  return (ARG_SCHEMES as readonly string[]).includes(lower) ? lower : v;
});
const StatusCode = z.union([z.literal(0), z.literal(1), z.literal("SUCCESS"), z.literal("FAILURE")]).transform((v) => (v === 0 || v === "SUCCESS" ? 0 : 1));

// Optional fields and their defaults are VCRProxy's (proxy.thrift); unknown fields are ignored.
const RequestSchema = z.object({
  serviceName: Text,
  endpoint: Text,
  headers: Bytes.default(Buffer.alloc(0)),
  body: Bytes,
  hostPort: Text.default(""),
  argScheme: ArgScheme.default("raw"),
  transportHeaders: z.array(z.object({ key: Text, value: Text })).default([]),
  knownPeers: z.array(Text).default([]),
});
const ResponseSchema = z.object({
  code: StatusCode,
  headers: Bytes.default(Buffer.alloc(0)),
  body: Bytes,
  error: z.object({ code: z.number().int().min(0).max(255), type: z.string().default(""), message: z.string().default("") }).optional(),
});
const CassetteSchema = z.object({
  version: z.unknown(),
  interactions: z.array(z.object({ request: RequestSchema, response: ResponseSchema })).nullable().default([]),
});

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
  const doc = parseDocument(text, { version: "1.1", customTags: PYTHON_STRING_TAGS, uniqueKeys: true, prettyErrors: true });
  const problems = [...doc.errors, ...doc.warnings];
  if (problems.length > 0) throw new CassetteFormatError(`cassette ${file} is not valid YAML: ${problems[0]!.message}`);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new CassetteFormatError(`cassette ${file} is not valid YAML: ${(err as Error).message}`, { cause: err });
  }
  if (data === null || data === undefined) return [];
  if (typeof data !== "object" || Array.isArray(data)) throw new CassetteFormatError(`cassette ${file}: expected a mapping with version and interactions, found ${Array.isArray(data) ? "a list" : typeof data}`);
  checkKeys(data, "", file);
  const version = (data as { version?: unknown }).version;
  if (version === undefined) throw new CassetteFormatError(`cassette ${file}: no version (expected version: ${CASSETTE_VERSION})`);
  if (Number(version) !== CASSETTE_VERSION) {
    throw new UnsupportedCassetteVersionError(`cassette ${file} is an unsupported version of the format: version ${String(version)} (this library reads version ${CASSETTE_VERSION})`);
  }
  const parsed = CassetteSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const more = parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more problems)` : "";
    throw new CassetteFormatError(`cassette ${file}: ${showPath(issue.path)}: ${issue.message}${more}`);
  }
  return (parsed.data.interactions ?? []).map((i) => ({ request: i.request as CassetteRequest, response: i.response as CassetteResponse }));
}

/** Printable ASCII stays readable text; anything else is written as `!!binary`, as PyYAML does for bytes. */
function yamlBytes(value: Buffer): string | Uint8Array {
  const text = value.every((b) => (b >= 0x20 && b < 0x7f) || b === 0x09 || b === 0x0a || b === 0x0d);
  return text ? value.toString("latin1") : new Uint8Array(value);
}

function yamlText(value: string): string | Uint8Array {
  return yamlBytes(Buffer.from(value, "utf8"));
}

function requestData(r: CassetteRequest): Record<string, unknown> {
  const scheme = (ARG_SCHEMES as readonly string[]).indexOf(r.argScheme);
  // Keys in PyYAML's order (sorted), so the files diff cleanly whichever side wrote them.
  return {
    argScheme: scheme >= 0 ? scheme : r.argScheme,
    body: yamlBytes(r.body),
    endpoint: yamlText(r.endpoint),
    headers: yamlBytes(r.headers),
    hostPort: yamlText(r.hostPort),
    knownPeers: r.knownPeers.map(yamlText),
    serviceName: yamlText(r.serviceName),
    transportHeaders: r.transportHeaders.map((h) => ({ key: yamlText(h.key), value: yamlText(h.value) })),
  };
}

function responseData(r: CassetteResponse): Record<string, unknown> {
  const data: Record<string, unknown> = { body: yamlBytes(r.body), code: r.code };
  if (r.error) data.error = { code: r.error.code, message: r.error.message, type: r.error.type };
  data.headers = yamlBytes(r.headers);
  return data;
}

/** The cassette as tchannel-python writes it (block style, sorted keys, YAML 1.1 quoting). */
export function serializeCassette(interactions: readonly Interaction[]): string {
  const data = {
    interactions: interactions.map((i) => ({ request: requestData(i.request), response: responseData(i.response) })),
    version: CASSETTE_VERSION,
  };
  // YAML 1.1 so that strings like "no" or "on" are quoted for PyYAML, which reads 1.1.
  return stringify(data, { version: "1.1", lineWidth: 0, indentSeq: false, aliasDuplicateObjects: false });
}
