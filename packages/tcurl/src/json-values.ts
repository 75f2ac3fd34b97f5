// IDL-driven conversion between JSON (what a person types after -3 and reads on stdout) and the
// values @tchannel/thrift encodes and decodes (i64 as bigint, binary as Buffer, maps as Map,
// enums as names, structs as objects).
//
// JSON in:
//   bool: true/false;  byte/i16/i32: an integer (or a string of one);  double: a number, or
//   "NaN"/"Infinity"/"-Infinity";  i64: an integer up to 2^53, or a string of digits for any i64;
//   string: a string;  binary: a string (its UTF-8 bytes), {"base64": "..."}, or an array of bytes;
//   enum: a member name, or its number;  list/set: an array;  map: an object (keys converted from
//   their text), or an array of [key, value] pairs (needed when keys are structs or containers);
//   struct/union/exception: an object of field names (null means unset; unknown names are errors).
// JSON out (the inverse, and valid input again):
//   i64: a number when it is a safe integer, else a decimal string;  binary: a string when the bytes
//   are valid UTF-8, else {"base64": "..."};  double: a number, or "NaN"/"Infinity"/"-Infinity";
//   map: an object when keys are scalars, else an array of [key, value] pairs;  set: an array;
//   struct: an object of the set fields, in IDL order.
import type { StructDef, ThriftType } from "./thrift-types.js";

/** A JSON value that does not fit the IDL type it is for; `path` names where. */
export class JsonValueError extends Error {
  constructor(readonly path: string, detail: string) {
    super(`${path}: ${detail}`);
    this.name = "JsonValueError";
  }
}

/** Converts a JSON value to what the thrift codec expects for `type`. */
export function fromJson(type: ThriftType, value: unknown, path: string): unknown {
  switch (type.kind) {
    case "bool":
      if (typeof value === "boolean") return value;
      throw new JsonValueError(path, `expected true or false, got ${describe(value)}`);
    case "byte":
      return integer(value, -128, 127, path, "a byte");
    case "i16":
      return integer(value, -32768, 32767, path, "an i16");
    case "i32":
      return integer(value, -2147483648, 2147483647, path, "an i32");
    case "i64":
      return i64(value, path);
    case "double":
      if (typeof value === "number") return value;
      if (value === "NaN") return Number.NaN;
      if (value === "Infinity") return Number.POSITIVE_INFINITY;
      if (value === "-Infinity") return Number.NEGATIVE_INFINITY;
      throw new JsonValueError(path, `expected a number, got ${describe(value)}`);
    case "string":
      if (typeof value === "string") return value;
      throw new JsonValueError(path, `expected a string, got ${describe(value)}`);
    case "binary":
      return binary(value, path);
    case "enum": {
      if (typeof value === "string" && type.toValue.has(value)) return value;
      if (typeof value === "number" && type.toName.has(value)) return type.toName.get(value);
      throw new JsonValueError(path, `expected a ${type.name} member (${[...type.toValue.keys()].join(", ")}), got ${describe(value)}`);
    }
    case "list":
    case "set": {
      if (!Array.isArray(value)) throw new JsonValueError(path, `expected an array, got ${describe(value)}`);
      return value.map((item, i) => fromJson(type.element, item, `${path}[${i}]`));
    }
    case "map": {
      const out = new Map<unknown, unknown>();
      if (Array.isArray(value)) {
        value.forEach((pair, i) => {
          if (!Array.isArray(pair) || pair.length !== 2) throw new JsonValueError(`${path}[${i}]`, `expected a [key, value] pair, got ${describe(pair)}`);
          out.set(fromJson(type.key, pair[0], `${path}[${i}][0]`), fromJson(type.value, pair[1], `${path}[${i}][1]`));
        });
        return out;
      }
      if (!isPlainObject(value)) throw new JsonValueError(path, `expected an object or an array of [key, value] pairs, got ${describe(value)}`);
      for (const [k, v] of Object.entries(value)) {
        out.set(mapKeyFromText(type.key, k, `${path}{${JSON.stringify(k)}}`), fromJson(type.value, v, `${path}[${JSON.stringify(k)}]`));
      }
      return out;
    }
    case "struct":
      return structFromJson(type.def, value, path);
  }
}

/**
 * Converts a JSON object to the fields of `def` (a struct, union, exception, or a method's
 * arguments), checking names and required fields so mistakes are reported before anything is sent.
 */
export function structFromJson(def: StructDef, value: unknown, path: string): Record<string, unknown> {
  if (!isPlainObject(value)) throw new JsonValueError(path, `expected an object with the fields of ${def.name}, got ${describe(value)}`);
  const known = new Map(def.fields.map((f) => [f.name, f]));
  for (const name of Object.keys(value)) {
    if (!known.has(name)) {
      const names = def.fields.map((f) => f.name).join(", ") || "none";
      throw new JsonValueError(`${path}.${name}`, `${def.name} has no field ${JSON.stringify(name)} (fields: ${names})`);
    }
  }
  const out: Record<string, unknown> = {};
  let set = 0;
  for (const field of def.fields) {
    const v = value[field.name];
    if (v === undefined || v === null) {
      if (field.required && field.defaultValue === undefined && !def.union) {
        throw new JsonValueError(`${path}.${field.name}`, `required field of ${def.name} is missing`);
      }
      continue;
    }
    out[field.name] = fromJson(field.type, v, `${path}.${field.name}`);
    set++;
  }
  if (def.union && set !== 1) {
    throw new JsonValueError(path, `${def.name} is a union: set exactly one of ${def.fields.map((f) => f.name).join(", ")} (got ${set})`);
  }
  return out;
}

/** Converts a value decoded by the thrift codec to JSON (see the header of this file). */
export function toJson(type: ThriftType, value: unknown): unknown {
  if (value === undefined || value === null) return null;
  switch (type.kind) {
    case "bool":
    case "byte":
    case "i16":
    case "i32":
    case "string":
    case "enum":
      return value;
    case "double":
      return typeof value === "number" && !Number.isFinite(value) ? String(value) : value;
    case "i64": {
      const b = typeof value === "bigint" ? value : BigInt(value as number);
      return b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b.toString();
    }
    case "binary": {
      const buf = Buffer.isBuffer(value) ? value : Buffer.from(value as Uint8Array);
      const text = buf.toString("utf8");
      return Buffer.from(text, "utf8").equals(buf) ? text : { base64: buf.toString("base64") };
    }
    case "list":
    case "set":
      return [...(value as Iterable<unknown>)].map((item) => toJson(type.element, item));
    case "map": {
      const entries = value instanceof Map ? [...value] : Object.entries(value as object);
      if (isScalarKey(type.key)) {
        const out: Record<string, unknown> = {};
        for (const [k, v] of entries) out[String(toJson(type.key, k))] = toJson(type.value, v);
        return out;
      }
      return entries.map(([k, v]) => [toJson(type.key, k), toJson(type.value, v)]);
    }
    case "struct":
      return structToJson(type.def, value);
  }
}

/** The set fields of a struct value (including a thrown exception) as JSON, in IDL order. */
export function structToJson(def: StructDef, value: unknown): Record<string, unknown> {
  const obj = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const field of def.fields) {
    const v = obj[field.name];
    if (v !== undefined && v !== null) out[field.name] = toJson(field.type, v);
  }
  return out;
}

function isScalarKey(t: ThriftType): boolean {
  return t.kind !== "struct" && t.kind !== "list" && t.kind !== "set" && t.kind !== "map" && t.kind !== "binary";
}

/** A map key written as an object key: the text of a scalar. */
function mapKeyFromText(type: ThriftType, text: string, path: string): unknown {
  switch (type.kind) {
    case "string":
    case "enum":
    case "i64":
      return fromJson(type, text, path);
    case "binary":
      return Buffer.from(text, "utf8");
    case "bool":
      if (text === "true" || text === "false") return text === "true";
      throw new JsonValueError(path, `expected "true" or "false", got ${JSON.stringify(text)}`);
    case "byte":
    case "i16":
    case "i32":
    case "double":
      return fromJson(type, text.trim() !== "" && !Number.isNaN(Number(text)) ? Number(text) : text, path);
    default:
      throw new JsonValueError(path, `a map with ${type.kind} keys must be given as an array of [key, value] pairs`);
  }
}

function integer(value: unknown, min: number, max: number, path: string, what: string): number {
  const n = typeof value === "string" && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof n !== "number" || !Number.isInteger(n)) throw new JsonValueError(path, `expected ${what} (an integer), got ${describe(value)}`);
  if (n < min || n > max) throw new JsonValueError(path, `${n} is out of the range of ${what} (${min} to ${max})`);
  return n;
}

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

function i64(value: unknown, path: string): bigint {
  let b: bigint;
  if (typeof value === "number") {
    if (!Number.isInteger(value)) throw new JsonValueError(path, `expected an i64 (an integer), got ${value}`);
    if (!Number.isSafeInteger(value)) {
      throw new JsonValueError(path, `${value} is beyond 2^53 and lost precision when read as JSON; quote it: "${BigInt(value)}"`);
    }
    b = BigInt(value);
  } else if (typeof value === "string" && /^\s*-?\d+\s*$/.test(value)) {
    b = BigInt(value.trim());
  } else {
    throw new JsonValueError(path, `expected an i64 (an integer, or a string of digits), got ${describe(value)}`);
  }
  if (b < I64_MIN || b > I64_MAX) throw new JsonValueError(path, `${b} is out of the i64 range`);
  return b;
}

function binary(value: unknown, path: string): Buffer {
  if (typeof value === "string") return Buffer.from(value, "utf8");
  if (isPlainObject(value) && typeof value.base64 === "string" && Object.keys(value).length === 1) {
    if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(value.base64)) throw new JsonValueError(path, "base64 holds characters outside the base64 alphabet");
    return Buffer.from(value.base64, "base64");
  }
  // Node's own JSON form of a Buffer, and a plain array of byte values.
  const bytes = isPlainObject(value) && value.type === "Buffer" ? value.data : value;
  if (Array.isArray(bytes) && bytes.every((x) => Number.isInteger(x) && x >= 0 && x <= 255)) return Buffer.from(bytes as number[]);
  throw new JsonValueError(path, `expected binary: a string (UTF-8), {"base64": "..."} or an array of bytes, got ${describe(value)}`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value} ${String(value)}`;
}
