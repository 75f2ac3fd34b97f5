// The shape of the compiled Thrift types that @tchannel/thrift hangs on every request
// (`request.method.args`, `.result`, `.exceptions`). The package does not export these types by
// name, so the sync client reads them through this structural copy.
import { types } from "node:util";

export type ThriftType =
  | { kind: "bool" | "byte" | "i16" | "i32" | "i64" | "double" | "string" | "binary" }
  | { kind: "enum"; name: string; toValue: ReadonlyMap<string, number> }
  | { kind: "list" | "set"; element: ThriftType }
  | { kind: "map"; key: ThriftType; value: ThriftType }
  | { kind: "struct"; def: StructDef };

export interface FieldDef {
  id: number;
  name: string;
  type: ThriftType;
  required: boolean;
  defaultValue: unknown;
}

export interface StructDef {
  name: string;
  fields: FieldDef[];
  union: boolean;
  exception: boolean;
  /** Builds an instance of the module's class for the struct. */
  make?: ((fields: Record<string, unknown>) => object) | undefined;
  cls?: abstract new (...args: never[]) => object;
}

export interface MethodShape {
  endpoint: string;
  name: string;
  thriftService: string;
  args: StructDef;
  result: StructDef;
  oneway: boolean;
  returnsValue: boolean;
  exceptions: readonly FieldDef[];
}

/** What a typed walk does at the leaves that cannot cross threads as they are. */
export interface ValueHooks {
  binary(bytes: Uint8Array): unknown;
  struct(def: StructDef, fields: Record<string, unknown>): unknown;
  /** Fill IDL defaults into missing fields of non-union structs, as the binary codec does. */
  defaults: boolean;
}

/**
 * Rebuilds a Thrift value along its type: structs become what `hooks.struct` makes of their
 * declared fields, binaries what `hooks.binary` makes. Values of the wrong shape pass through
 * untouched, so the codec on the other side reports them exactly as the async client would.
 * Maps, sets and bytes are recognised across realms: a value received from another thread is built
 * in Node's main context, which is not the test context under Jest.
 */
export function mapValue(t: ThriftType, v: unknown, hooks: ValueHooks): unknown {
  if (v === undefined || v === null) return v;
  switch (t.kind) {
    case "binary":
      return types.isUint8Array(v) ? hooks.binary(v) : v;
    case "list":
      return Array.isArray(v) ? v.map((x) => mapValue(t.element, x, hooks)) : v;
    case "set":
      if (types.isSet(v)) return new Set([...v].map((x) => mapValue(t.element, x, hooks)));
      return Array.isArray(v) ? v.map((x) => mapValue(t.element, x, hooks)) : v;
    case "map":
      if (types.isMap(v)) return new Map([...v].map(([k, x]) => [mapValue(t.key, k, hooks), mapValue(t.value, x, hooks)]));
      if (typeof v === "object" && !Array.isArray(v)) {
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mapValue(t.value, x, hooks)]));
      }
      return v;
    case "struct": {
      if (typeof v !== "object" || Array.isArray(v)) return v;
      const def = t.def;
      const fields: Record<string, unknown> = {};
      for (const field of def.fields) {
        let x = (v as Record<string, unknown>)[field.name];
        if (x === undefined || x === null) {
          if (!hooks.defaults || field.defaultValue === undefined || def.union) continue;
          x = field.defaultValue;
        }
        fields[field.name] = mapValue(field.type, x, hooks);
      }
      return hooks.struct(def, fields);
    }
    default:
      return v;
  }
}

/**
 * A Thrift IDL that declares `method` alone (in a service of the same name, so the endpoint on the
 * wire is the same) and every type it uses, with the same field ids, names, types and
 * requiredness. The worker parses it once and then encodes and decodes exactly as the
 * caller's module would. Defaults are left out: the caller applies them (see `mapValue`).
 */
export function methodIdl(method: MethodShape): string {
  const decls: string[] = [];
  const names = new Map<unknown, string>();
  const taken = new Set<string>([method.thriftService]);
  const claim = (wanted: string): string => {
    const base = wanted.replace(/[^A-Za-z0-9_]/g, "_").replace(/^(?=[0-9])/, "_") || "T";
    let name = base;
    for (let i = 2; taken.has(name); i++) name = `${base}_${i}`;
    taken.add(name);
    return name;
  };
  const field = (f: FieldDef, qualifier: string) => `${f.id}: ${qualifier}${type(f.type)} ${f.name}`;
  const struct = (def: StructDef): string => {
    let name = names.get(def);
    if (name !== undefined) return name;
    name = claim(def.name);
    names.set(def, name); // before the fields: structs may be recursive
    const kind = def.exception ? "exception" : def.union ? "union" : "struct";
    const fields = def.fields.map((f) => `  ${field(f, def.union ? "" : f.required ? "required " : "optional ")}`);
    decls.push(`${kind} ${name} {\n${fields.join(",\n")}\n}`);
    return name;
  };
  const type = (t: ThriftType): string => {
    switch (t.kind) {
      case "list":
      case "set":
        return `${t.kind}<${type(t.element)}>`;
      case "map":
        return `map<${type(t.key)}, ${type(t.value)}>`;
      case "struct":
        return struct(t.def);
      case "enum": {
        const members = [...t.toValue].map(([k, v]) => `${k} = ${v}`);
        const key = `enum ${t.name} {${members.join(",")}}`;
        let name = names.get(key);
        if (name === undefined) {
          name = claim(t.name);
          names.set(key, name);
          decls.push(`enum ${name} {\n  ${members.join(",\n  ")}\n}`);
        }
        return name;
      }
      default:
        return t.kind;
    }
  };
  const success = method.result.fields.find((f) => f.id === 0);
  const returns = method.returnsValue && success ? type(success.type) : "void";
  const args = method.args.fields.map((f) => field(f, f.required ? "required " : "optional ")).join(", ");
  const throws = method.exceptions.map((f) => field(f, "")).join(", ");
  decls.push(`service ${method.thriftService} {\n  ${returns} ${method.name}(${args})${throws ? ` throws (${throws})` : ""}\n}`);
  return `${decls.join("\n\n")}\n`;
}
