// Values of a ThriftType outside the codec: IDL defaults converted once at load to the form a
// field holds at run time, and per-instance copies of the mutable ones.
import type { ThriftType } from "./thrift-type.js";

const RANGES = { byte: [-128, 127], i16: [-32768, 32767], i32: [-2147483648, 2147483647] } as const;

/**
 * Converts a constant as thriftrw resolves it (IDL literal form: `0`/`1` for bools, strings for
 * binary, objects with string keys for maps, plain objects for structs, numbers for i64) to the
 * value of `type` our codec encodes and decodes. Throws an Error naming `path` when it does not fit.
 */
export function convertConst(type: ThriftType, value: unknown, path: string): unknown {
  const fail = (what: string): never => {
    throw new Error(`${path}: expected ${what}, got ${describeConst(value)}`);
  };
  switch (type.kind) {
    case "bool":
      if (typeof value === "boolean") return value;
      if (value === 0 || value === 1) return value === 1;
      return fail("a bool (true, false, 0 or 1)");
    case "byte":
    case "i16":
    case "i32": {
      const [min, max] = RANGES[type.kind];
      if (typeof value === "number" && Number.isInteger(value) && value >= min && value <= max) return value;
      return fail(`an integer in ${min}..${max}`);
    }
    case "i64": {
      let n: bigint | undefined;
      if (typeof value === "bigint") n = value;
      else if (typeof value === "number" && Number.isInteger(value)) n = BigInt(value);
      else if (typeof value === "string" && /^-?\d+$/.test(value)) n = BigInt(value);
      else if (Buffer.isBuffer(value) && value.length === 8) n = value.readBigInt64BE(0);
      if (n === undefined || n < -(2n ** 63n) || n >= 2n ** 63n) return fail("an i64 integer");
      return n;
    }
    case "double":
      if (typeof value === "number") return value;
      return fail("a number");
    case "string":
      if (typeof value === "string") return value;
      return fail("a string");
    case "binary":
      if (typeof value === "string") return Buffer.from(value, "utf8");
      if (value instanceof Uint8Array) return Buffer.from(value);
      return fail("a string");
    case "enum":
      if (typeof value === "string" && type.toValue.has(value)) return value;
      if (typeof value === "number" && type.toName.has(value)) return type.toName.get(value);
      return fail(`a member of enum ${type.name} (${[...type.toValue.keys()].join(", ")})`);
    case "list":
    case "set":
      if (!Array.isArray(value)) return fail("a list");
      return value.map((v, i) => convertConst(type.element, v, `${path}[${i}]`));
    case "map": {
      const entries = value instanceof Map ? [...value] : isPlainObject(value) ? Object.entries(value) : fail("a map");
      const out = new Map<unknown, unknown>();
      // thriftrw resolves a const map into an object, so keys arrive as strings.
      for (const [k, v] of entries) out.set(convertConst(type.key, mapKey(type.key, k), `${path}{${String(k)}}`), convertConst(type.value, v, `${path}[${String(k)}]`));
      return out;
    }
    case "struct": {
      if (!isPlainObject(value)) return fail(`a ${type.def.name}`);
      const fields: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        const field = type.def.byName.get(k);
        if (field === undefined) throw new Error(`${path}: ${type.def.name} has no field ${JSON.stringify(k)}`);
        fields[k] = convertConst(field.type, v, `${path}.${k}`);
      }
      // Through the constructor, so the struct's own defaults apply to the fields not given.
      const Cls = type.def.cls as (new (fields: Record<string, unknown>) => object) | undefined;
      return Cls ? new Cls(fields) : fields;
    }
  }
}

/** A map key that thriftrw turned into a property name, back in its type's literal form. */
function mapKey(type: ThriftType, key: unknown): unknown {
  if (typeof key !== "string") return key;
  switch (type.kind) {
    case "byte":
    case "i16":
    case "i32":
    case "double":
      return key.trim() === "" ? key : Number(key);
    case "i64":
      return /^-?\d+$/.test(key) ? BigInt(key) : key;
    case "bool":
      return key === "true" ? true : key === "false" ? false : key;
    case "enum":
      return /^-?\d+$/.test(key) ? Number(key) : key;
    default:
      return key;
  }
}

/** Whether values of this type can be changed in place (and so are copied per instance). */
export function isMutable(type: ThriftType): boolean {
  return type.kind === "list" || type.kind === "set" || type.kind === "map" || type.kind === "struct" || type.kind === "binary";
}

/** A deep copy of a value of `type` (a converted default), sharing nothing mutable with it. */
export function copyValue(type: ThriftType, value: unknown): unknown {
  switch (type.kind) {
    case "binary":
      return Buffer.from(value as Uint8Array);
    case "list":
    case "set":
      return isMutable(type.element) ? (value as unknown[]).map((v) => copyValue(type.element, v)) : (value as unknown[]).slice();
    case "map": {
      const out = new Map<unknown, unknown>();
      for (const [k, v] of value as Map<unknown, unknown>) out.set(isMutable(type.key) ? copyValue(type.key, k) : k, isMutable(type.value) ? copyValue(type.value, v) : v);
      return out;
    }
    case "struct": {
      const def = type.def;
      const src = value as Record<string, unknown>;
      const out = def.create ? def.create() : {};
      for (const f of def.fields) {
        const v = src[f.name];
        if (v !== undefined) out[f.name] = isMutable(f.type) && v !== null ? copyValue(f.type, v) : v;
      }
      return out;
    }
    default:
      return value;
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v) || v instanceof Uint8Array) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function describeConst(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (Array.isArray(v)) return "a list";
  if (v !== null && typeof v === "object") return "a map or struct";
  return `${typeof v} ${String(v)}`;
}
