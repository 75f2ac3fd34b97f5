// The classes a loaded IDL exposes for its structs, unions and exceptions: what `new kv.Entry({...})`
// builds and what the decoder returns.
import { InvalidArgumentError } from "@tchannel/channel";
import type { StructDef } from "./thrift-type.js";
import { ThriftException } from "./thrift-errors.js";
import { copyValue } from "./thrift-values.js";

/** Error's own properties an IDL field can shadow: on exceptions these become plain own fields. */
const ERROR_PROPERTIES = new Set(["message", "name", "stack", "cause"]);

/** Constructs without defaults or fields: the decoder sets exactly what was on the wire. */
const EMPTY = Symbol("empty");

export type StructClass = new (fields?: Record<string, unknown>) => object;

/**
 * Generates the class of a struct, union or exception and sets `def.cls`, `def.create` (an empty
 * instance, for the decoder) and `def.make`. The constructor applies the IDL defaults (each
 * instance its own copy of a mutable one) and then the given fields; a field the IDL does not
 * declare is an InvalidArgumentError at the call site, not a silent drop.
 */
export function defineStructClass(def: StructDef): StructClass {
  const name = def.name;
  // IDL fields named like Error's own properties: always own properties (undefined when unset), so
  // they shadow Error's display `message`/`name` and hold exactly the IDL value.
  const shadowed = def.exception ? def.fields.filter((f) => ERROR_PROPERTIES.has(f.name)).map((f) => f.name) : [];
  const shadow = (self: object) => {
    for (const key of shadowed) Object.defineProperty(self, key, { value: undefined, writable: true, enumerable: true, configurable: true });
  };
  const init = (self: Record<string, unknown>, fields: Record<string, unknown> | undefined) => {
    for (const f of def.defaults) self[f.name] = f.copyDefault ? copyValue(f.type, f.defaultValue) : f.defaultValue;
    if (fields === undefined || fields === null) return;
    if (typeof fields !== "object") throw new InvalidArgumentError(`new ${name}(fields): expected an object of fields, got ${typeof fields}`);
    for (const key of Object.keys(fields)) {
      if (!def.byName.has(key)) throw new InvalidArgumentError(unknownFieldMessage(def, key));
      const v = fields[key];
      if (v !== undefined) self[key] = v;
    }
  };
  const Cls = def.exception
    ? class extends ThriftException {
        constructor(fields?: Record<string, unknown>, mode?: symbol) {
          super();
          shadow(this);
          if (mode !== EMPTY) init(this as unknown as Record<string, unknown>, fields);
        }
      }
    : class {
        constructor(fields?: Record<string, unknown>, mode?: symbol) {
          if (mode !== EMPTY) init(this as Record<string, unknown>, fields);
        }
      };
  Object.defineProperty(Cls, "name", { value: name });
  def.cls = Cls;
  definitions.set(Cls, def);
  def.create = () => new Cls(undefined, EMPTY) as Record<string, unknown>;
  def.make = (fields) => Object.assign(def.create!(), fields);
  return Cls;
}

const definitions = new WeakMap<object, StructDef>();

/** The compiled definition behind a generated class (undefined for anything else). */
export function structDefOf(cls: unknown): StructDef | undefined {
  return typeof cls === "function" ? definitions.get(cls) : undefined;
}

/** `Req has no field "kee" (fields: key, value)`. */
export function unknownFieldMessage(def: StructDef, key: string): string {
  return `${def.name} has no field ${JSON.stringify(key)} (fields: ${def.fields.map((f) => f.name).join(", ") || "none"})`;
}
