/// <reference path="./thriftrw.d.ts" />
import { InvalidArgumentError } from "@tchannel/channel";
import { basename } from "node:path";
import type { Thrift, ThriftFunction, ThriftStructModel } from "thriftrw";
import { type FieldDef, type StructDef, TypeCompiler } from "./thrift-type.js";
import { defineStructClass } from "./thrift-classes.js";
import { type IdlFiles, compileIdl, fieldLocation, idlFromSource, readIdl, readIdlSync } from "./idl-loader.js";
import { ThriftLoadError } from "./thrift-errors.js";

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
  /** The TChannel service name requests built from this module go to (default: the file's name without `.thrift`). */
  service?: string;
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
 * current directory; includes (`include "x.thrift"`, `include alias "x.thrift"`) resolve relative
 * to the including file. Errors are ThriftLoadErrors naming the file, line and column.
 */
export async function loadThrift<M = ThriftModule>(path: string, options: LoadOptions = {}): Promise<M> {
  const files = await readIdl(path);
  return build(files, options, serviceName(path, options)) as M;
}

/** The synchronous form of `loadThrift`, for start-up code. */
export function loadThriftSync<M = ThriftModule>(path: string, options: LoadOptions = {}): M {
  const files = readIdlSync(path);
  return build(files, options, serviceName(path, options)) as M;
}

/** Loads an IDL given as a string (no includes). */
export function loadThriftSource<M = ThriftModule>(source: string, options: LoadOptions = {}): M {
  return build(idlFromSource(source), options, options.service ?? "service") as M;
}

function serviceName(path: string, options: LoadOptions): string {
  if (options === null || typeof options !== "object") throw new InvalidArgumentError(`load options must be an object, got ${options === null ? "null" : typeof options}`);
  if (options.service !== undefined && (typeof options.service !== "string" || options.service === "")) throw new InvalidArgumentError("the service option must be a non-empty string");
  return options.service ?? basename(path).replace(/\.thrift$/, "");
}

function build(files: IdlFiles, options: LoadOptions, tchannelService: string): ThriftModule {
  const thrift = compileIdl(files);
  const { idls, entryPoint } = thrift.getSources();
  const compiler = new TypeCompiler(defineStructClass);
  const module: Record<string, unknown> = {};
  const info: ModuleInfo = {
    service: tchannelService,
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
      target[name] = def.cls;
    }
    // By `enums`, not `source[name]`: thriftrw only aliases names that start upper-case.
    const enums = (source.enums ?? {}) as Record<string, Record<string, string>>;
    for (const [name, members] of Object.entries(enums)) {
      if (name.startsWith("ThriftMessageEnvelope")) continue;
      target[name] = Object.freeze({ ...members });
      info.enums.set(prefix + name, Object.keys(members));
    }
    // thriftrw's consts also hold every enum member, qualified and bare, and its own envelope
    // enum's; keep what the IDL declared with `const`.
    const enumMembers = new Set<string>();
    for (const members of Object.values(enums)) for (const member of Object.keys(members)) enumMembers.add(member);
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
      const argsDef = method.args;
      // Requiredness as written: thriftrw (allowOptionalArguments) marks unmarked arguments optional.
      for (const fd of fn.def?.fields ?? []) {
        const field = argsDef.byId.get(fd.id.value);
        if (field) field.optional = fd.optional && !field.required;
      }
      service[name] = (args: Record<string, unknown> = {}): ThriftRequest => {
        if (args === null || typeof args !== "object") throw new InvalidArgumentError(`${method.endpoint}: expected an object of arguments, got ${args === null ? "null" : typeof args}`);
        // A misspelled argument ({ kee }) is an error here, where it was written.
        for (const key in args) if (!argsDef.byName.has(key)) throw new InvalidArgumentError(`${method.endpoint} has no argument ${JSON.stringify(key)} (arguments: ${argsDef.fields.map((f) => f.name).join(", ") || "none"})`);
        return { method, args, service: tchannelService, hostPort: options.hostPort };
      };
    }
    info.services.set(serviceName, methods);
    module[serviceName] = Object.freeze(service);
  }
  // IDL defaults, converted once to their fields' types; one that does not fit is a load error.
  compiler.finish((model, field, err) => {
    const file = (model as { thrift?: { filename?: string } }).thrift?.filename ?? files.entry;
    const at = fieldLocation(files, file, model.name, field.id);
    throw new ThriftLoadError(err.message, at.file, at.line, at.column, { cause: err });
  });
  Object.defineProperty(module, MODULE_INFO, { value: info });
  return module;
}
