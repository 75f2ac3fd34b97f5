/// <reference path="./thriftrw.d.ts" />
import { readFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { Thrift, type ThriftFunction, type ThriftStructModel } from "thriftrw";
import { type FieldDef, type StructDef, TypeCompiler } from "./thrift-type.js";
import { ThriftException } from "./thrift-errors.js";

/** One method of a Thrift service, ready to call or serve. */
export interface ThriftMethod {
  /** arg1 on the wire: `LeafService::method` (spec §15.3). */
  readonly endpoint: string;
  readonly name: string;
  readonly thriftService: string;
  readonly args: StructDef;
  readonly result: StructDef;
  readonly oneway: boolean;
  readonly returnsValue: boolean;
  /** Declared exceptions: the result struct's fields other than `success`. */
  readonly exceptions: readonly FieldDef[];
}

/** What `kv.KeyValue.getValue({ key })` builds: a call to make with `tchannel.thrift(...)`. */
export interface ThriftRequest<Result = unknown> {
  readonly method: ThriftMethod;
  readonly args: Record<string, unknown>;
  /** The TChannel service to call (from `loadThrift`'s `service` option). */
  readonly service: string;
  readonly hostPort: string | undefined;
  /** Phantom: the method's return type, for typed modules. */
  readonly __result?: Result;
}

/** A Thrift service of a loaded module: one request builder per method. */
export interface ThriftService {
  readonly name: string;
  readonly methods: ReadonlyMap<string, ThriftMethod>;
  readonly [method: string]: unknown;
}

export interface LoadOptions {
  /** The TChannel service name requests built from this module go to. */
  service: string;
  /** Send requests straight to this peer instead of choosing one. */
  hostPort?: string;
}

/** A loaded IDL: services, structs, exceptions, unions (classes), enums and consts by name. */
export interface ThriftModule {
  readonly [name: string]: any;
}

export const MODULE_INFO = Symbol.for("tchannel.thrift.module");

export interface ModuleInfo {
  service: string;
  hostPort: string | undefined;
  /** IDL sources by path relative to the entry point's folder, for Meta::thriftIDL. */
  idls: Record<string, string>;
  /** The entry point's key in `idls`, as tchannel-node's Meta::thriftIDL answers it. */
  entryPoint: string;
  /** The thriftrw object (its type is ours, not public). */
  thriftrw: unknown;
  /** Every struct, union and exception, compiled, by name. */
  structs: Map<string, StructDef>;
  /** Every service's methods, by service name. */
  services: Map<string, Map<string, ThriftMethod>>;
  /** Enum names and their members. */
  enums: Map<string, string[]>;
}

/**
 * Loads a Thrift IDL at run time (no code generation): `path` is absolute or relative to the
 * current directory; includes resolve relative to the including file.
 */
export async function loadThrift<M = ThriftModule>(path: string, options: LoadOptions): Promise<M> {
  const entry = resolve(path);
  const idls: Record<string, string> = {};
  const root = dirname(entry);
  // Read every included file asynchronously first, then let thriftrw parse from memory.
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop()!;
    const key = relative(root, file);
    if (idls[key] !== undefined) continue;
    const source = await readFile(file, "utf8");
    idls[key] = source;
    for (const m of source.matchAll(/^\s*include\s+["']([^"']+)["']/gm)) pending.push(resolve(dirname(file), m[1]!));
  }
  const entryPoint = relative(root, entry);
  return build(new Thrift({ idls, entryPoint, strict: false, allowOptionalArguments: true }), options, idls, entryPoint) as M;
}

/** The synchronous form of `loadThrift`, for start-up code. */
export function loadThriftSync<M = ThriftModule>(path: string, options: LoadOptions): M {
  const entry = isAbsolute(path) ? path : resolve(path);
  readFileSync(entry); // a clear ENOENT before thriftrw's own error
  const thrift = new Thrift({ entryPoint: entry, allowFilesystemAccess: true, strict: false, allowOptionalArguments: true });
  const sources = thrift.getSources();
  return build(thrift, options, sources.idls, sources.entryPoint) as M;
}

/** Loads an IDL given as a string (no includes). */
export function loadThriftSource<M = ThriftModule>(source: string, options: LoadOptions): M {
  return build(new Thrift({ source, strict: false, allowOptionalArguments: true }), options, { "service.thrift": source }, "service.thrift") as M;
}

function build(thrift: Thrift, options: LoadOptions, idls: Record<string, string>, entryPoint: string): ThriftModule {
  const classes = new Map<string, new (fields?: Record<string, unknown>) => object>();
  const compiler = new TypeCompiler((def) => {
    const Cls = classFor(def);
    classes.set(def.name, Cls);
    def.cls = Cls;
    return (fields) => new Cls(fields);
  });
  const module: Record<string, unknown> = {};
  const info: ModuleInfo = {
    service: options.service,
    hostPort: options.hostPort,
    idls,
    entryPoint,
    thriftrw: thrift,
    structs: new Map(),
    services: new Map(),
    enums: new Map(),
  };
  const expose = (source: Thrift, target: Record<string, unknown>, prefix: string) => {
    for (const [name, model] of Object.entries(source.models)) {
      // thriftrw's models also hold its message-envelope types and every *_args/*_result.
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || name.startsWith("ThriftMessageEnvelope")) continue;
      if ((model as { fields?: unknown }).fields === undefined) continue;
      const def = compiler.struct(model as ThriftStructModel);
      info.structs.set(prefix + name, def);
      target[name] = classes.get(def.name);
    }
    for (const name of Object.keys(source.enums ?? {})) {
      if (name.startsWith("ThriftMessageEnvelope")) continue;
      target[name] = source[name];
      info.enums.set(prefix + name, Object.keys(source[name] as object));
    }
    // thriftrw's consts also hold every enum member, qualified and bare, and its own envelope
    // enum's; keep what the IDL declared with `const`.
    const enumMembers = new Set<string>();
    for (const name of Object.keys(source.enums ?? {})) for (const member of Object.keys(source[name] as object)) enumMembers.add(member);
    for (const [name, value] of Object.entries(source.consts ?? {})) {
      if (name.includes(".") || enumMembers.has(name)) continue;
      if (value !== null && typeof value === "object" && value.constructor?.name === "ThriftConst") continue;
      target[name] = value;
    }
    for (const [name, included] of Object.entries(source.modules ?? {})) {
      const sub: Record<string, unknown> = (target[name] as Record<string, unknown>) ?? {};
      target[name] = sub;
      expose(included, sub, `${prefix}${name}.`);
    }
  };
  expose(thrift, module, "");
  for (const [serviceName, functions] of Object.entries(thrift.services)) {
    const methods = new Map<string, ThriftMethod>();
    const service: Record<string | symbol, unknown> = { name: serviceName, methods, [MODULE_INFO]: info };
    for (const [name, fn] of Object.entries(functions as Record<string, ThriftFunction>)) {
      const result = compiler.struct(fn.result);
      const method: ThriftMethod = {
        endpoint: `${serviceName}::${name}`,
        name,
        thriftService: serviceName,
        args: compiler.struct(fn.args),
        result,
        oneway: fn.oneway,
        returnsValue: result.byId.has(0),
        exceptions: result.fields.filter((f) => f.id !== 0),
      };
      methods.set(name, method);
      service[name] = (args: Record<string, unknown> = {}): ThriftRequest => ({ method, args, service: options.service, hostPort: options.hostPort });
    }
    info.services.set(serviceName, methods);
    module[serviceName] = Object.freeze(service);
  }
  Object.defineProperty(module, MODULE_INFO, { value: info });
  return module;
}

function classFor(def: StructDef): new (fields?: Record<string, unknown>) => object {
  const name = def.name;
  const defaults = def.fields.filter((f) => f.defaultValue !== undefined && !def.union);
  const init = (self: object, fields: Record<string, unknown> | undefined) => {
    for (const f of defaults) (self as Record<string, unknown>)[f.name] = f.defaultValue;
    if (fields) Object.assign(self, fields);
  };
  const Cls = def.exception
    ? class extends ThriftException {
        constructor(fields?: Record<string, unknown>) {
          super(name, {});
          init(this, fields);
          if (typeof fields?.message !== "string") this.message = `${name}${fields ? ` ${describeFields(fields)}` : ""}`;
        }
      }
    : class {
        constructor(fields?: Record<string, unknown>) {
          init(this, fields);
        }
      };
  Object.defineProperty(Cls, "name", { value: name });
  return Cls;
}

function describeFields(fields: Record<string, unknown>): string {
  return Object.entries(fields)
    .map(([k, v]) => `${k}=${typeof v === "string" ? JSON.stringify(v) : typeof v === "bigint" ? `${v}n` : String(v)}`)
    .join(" ");
}
