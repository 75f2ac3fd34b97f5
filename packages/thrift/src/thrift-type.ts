/// <reference path="./thriftrw.d.ts" />
import type { ThriftEnumModel, ThriftModel, ThriftStructModel } from "thriftrw";

/**
 * Our compiled view of a thriftrw type: what the binary codec walks. thriftrw parses and resolves
 * the IDL (typedefs, includes, inheritance); we encode and decode ourselves, to map i64 to bigint,
 * enforce unions and requiredness, and bound the work a hostile input can cause.
 */
export type ThriftType =
  | { kind: "bool" | "byte" | "i16" | "i32" | "i64" | "double" | "string" | "binary" }
  | { kind: "enum"; name: string; toValue: Map<string, number>; toName: Map<number, string> }
  | { kind: "list" | "set"; element: ThriftType }
  | { kind: "map"; key: ThriftType; value: ThriftType }
  | { kind: "struct"; def: StructDef };

export interface FieldDef {
  id: number;
  name: string;
  type: ThriftType;
  required: boolean;
  /** The IDL default, converted to our representation; undefined when none. */
  defaultValue: unknown;
}

export interface StructDef {
  name: string;
  fields: FieldDef[];
  byId: Map<number, FieldDef>;
  union: boolean;
  exception: boolean;
  /** Builds the value of a decoded struct: an instance of the class generated for it. */
  make: ((fields: Record<string, unknown>) => object) | undefined;
  /** That class, for `instanceof` checks (declared exceptions thrown by handlers). */
  cls?: abstract new (...args: never[]) => object;
}

/** Binary protocol type ids (spec §15.3). */
export const TType = { STOP: 0, BOOL: 2, BYTE: 3, DOUBLE: 4, I16: 6, I32: 8, I64: 10, STRING: 11, STRUCT: 12, MAP: 13, SET: 14, LIST: 15 } as const;

export function typeId(t: ThriftType): number {
  switch (t.kind) {
    case "bool":
      return TType.BOOL;
    case "byte":
      return TType.BYTE;
    case "i16":
      return TType.I16;
    case "i32":
    case "enum":
      return TType.I32;
    case "i64":
      return TType.I64;
    case "double":
      return TType.DOUBLE;
    case "string":
    case "binary":
      return TType.STRING;
    case "struct":
      return TType.STRUCT;
    case "map":
      return TType.MAP;
    case "set":
      return TType.SET;
    case "list":
      return TType.LIST;
  }
}

interface Models {
  rw?: { ktype?: ThriftModel; vtype?: ThriftModel };
  valueType?: ThriftModel;
  keyType?: ThriftModel;
}

/**
 * Compiles thriftrw models into ThriftTypes, once per model (recursive structs included).
 * @internal
 */
export class TypeCompiler {
  readonly #structs = new Map<ThriftModel, StructDef>();
  readonly #makers: (def: StructDef) => StructDef["make"];

  constructor(makers: (def: StructDef) => StructDef["make"] = () => undefined) {
    this.#makers = makers;
  }

  struct(model: ThriftStructModel): StructDef {
    const known = this.#structs.get(model);
    if (known) return known;
    const def: StructDef = { name: model.name, fields: [], byId: new Map(), union: model.isUnion === true, exception: model.isException, make: undefined };
    this.#structs.set(model, def);
    for (const f of model.fields) {
      const type = this.type(f.valueType);
      const field: FieldDef = { id: f.id, name: f.name, type, required: f.required, defaultValue: convertDefault(type, f.defaultValue) };
      def.fields.push(field);
      def.byId.set(f.id, field);
    }
    def.make = this.#makers(def);
    return def;
  }

  type(model: ThriftModel): ThriftType {
    const m = model as ThriftModel & Models;
    switch (model.typeid) {
      case TType.BOOL:
        return { kind: "bool" };
      case TType.BYTE:
        return { kind: "byte" };
      case TType.I16:
        return { kind: "i16" };
      case TType.I32: {
        const e = model as ThriftEnumModel;
        if (e.namesToValues) {
          const toValue = new Map(Object.entries(e.namesToValues));
          return { kind: "enum", name: e.name, toValue, toName: new Map([...toValue].map(([k, v]) => [v, k])) };
        }
        return { kind: "i32" };
      }
      case TType.I64:
        return { kind: "i64" };
      case TType.DOUBLE:
        return { kind: "double" };
      case TType.STRING:
        return { kind: model.constructor.name === "ThriftBinary" ? "binary" : "string" };
      case TType.STRUCT:
        return { kind: "struct", def: this.struct(model as ThriftStructModel) };
      case TType.LIST:
        return { kind: "list", element: this.type(m.valueType!) };
      case TType.SET:
        return { kind: "set", element: this.type((m.valueType ?? m.rw?.vtype)!) };
      case TType.MAP:
        return { kind: "map", key: this.type((m.keyType ?? m.rw?.ktype)!), value: this.type((m.valueType ?? m.rw?.vtype)!) };
      default:
        throw new TypeError(`unsupported thrift type id ${model.typeid}`);
    }
  }
}

/** thriftrw keeps defaults in its own representation (i64 as a Buffer or number). */
function convertDefault(type: ThriftType, value: unknown): unknown {
  if (value === null || value === undefined) return undefined;
  if (type.kind === "i64") {
    if (typeof value === "number") return BigInt(value);
    if (Buffer.isBuffer(value) && value.length === 8) return value.readBigInt64BE(0);
  }
  return value;
}
