/// <reference path="./thriftrw.d.ts" />
import type { ThriftEnumModel, ThriftModel, ThriftStructModel } from "thriftrw";
import { convertConst, isMutable } from "./thrift-values.js";

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
  /**
   * Declared `optional` in the IDL. A field neither `required` nor `optional` ("default
   * requiredness") is written by every conforming writer, and typed present in generated types.
   */
  optional: boolean;
  /**
   * The IDL default, converted once at load to the value the field holds at run time (a bool
   * default `= 0` is `false`, `binary = ""` an empty Buffer, a map a Map, a struct an instance);
   * undefined when none. Never handed out when mutable: see `copyDefault`.
   */
  defaultValue: unknown;
  /** The default is a container, struct or binary: every instance gets its own copy. */
  copyDefault: boolean;
  /** thriftrw's form of the default, until `TypeCompiler.finish` converts it. @internal */
  rawDefault?: unknown;
}

export interface StructDef {
  name: string;
  fields: FieldDef[];
  byId: Map<number, FieldDef>;
  byName: Map<string, FieldDef>;
  /** The fields with an IDL default (none for unions). */
  defaults: FieldDef[];
  union: boolean;
  exception: boolean;
  /** A new, empty instance of the generated class, which the decoder fills in. */
  create: (() => Record<string, unknown>) | undefined;
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
  readonly #models = new Map<StructDef, ThriftStructModel>();
  readonly #pending = new Set<StructDef>();
  readonly #makers: (def: StructDef) => void;

  /** `makers` sets a struct's `create`/`make`/`cls` (the generated class), once its fields are known. */
  constructor(makers: (def: StructDef) => void = () => undefined) {
    this.#makers = makers;
  }

  struct(model: ThriftStructModel): StructDef {
    const known = this.#structs.get(model);
    if (known) return known;
    const def: StructDef = {
      name: model.name,
      fields: [],
      byId: new Map(),
      byName: new Map(),
      defaults: [],
      union: model.isUnion === true,
      exception: model.isException,
      create: undefined,
      make: undefined,
    };
    this.#structs.set(model, def);
    this.#models.set(def, model);
    for (const f of model.fields) {
      const type = this.type(f.valueType);
      const field: FieldDef = { id: f.id, name: f.name, type, required: f.required, optional: f.optional && !f.required, defaultValue: undefined, copyDefault: false };
      if (f.defaultValue !== null && f.defaultValue !== undefined) {
        field.rawDefault = f.defaultValue;
        this.#pending.add(def);
      }
      def.fields.push(field);
      def.byId.set(f.id, field);
      def.byName.set(f.name, field);
    }
    this.#makers(def);
    return def;
  }

  /**
   * Converts every IDL default compiled so far to its field's run-time type, once (a struct
   * default is built with its own defaults, so those go first). A default that does not fit its
   * type is reported by `onError` with the struct's model and the field.
   */
  finish(onError: (model: ThriftStructModel, field: FieldDef, err: Error) => never = (_m, _f, err) => {
    throw err;
  }): void {
    const done = new Set<StructDef>();
    const visit = (def: StructDef) => {
      if (done.has(def)) return;
      done.add(def);
      for (const field of def.fields) {
        if (field.rawDefault === undefined) continue;
        for (const dep of structsIn(field.type)) if (this.#pending.has(dep)) visit(dep);
        try {
          field.defaultValue = convertConst(field.type, field.rawDefault, `default of ${def.name}.${field.name}`);
        } catch (err) {
          onError(this.#models.get(def)!, field, err as Error);
        }
        field.copyDefault = isMutable(field.type);
        delete field.rawDefault;
        if (!def.union) def.defaults.push(field);
      }
    };
    for (const def of this.#pending) visit(def);
    this.#pending.clear();
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

function structsIn(t: ThriftType): StructDef[] {
  switch (t.kind) {
    case "struct":
      return [t.def];
    case "list":
    case "set":
      return structsIn(t.element);
    case "map":
      return [...structsIn(t.key), ...structsIn(t.value)];
    default:
      return [];
  }
}
