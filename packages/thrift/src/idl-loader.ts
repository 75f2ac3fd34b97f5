/// <reference path="./thriftrw.d.ts" />
// Finding, reading and checking the files of an IDL: one code path for `loadThrift` and
// `loadThriftSync` (a generator that yields the files it needs read), with thriftrw's own parser,
// so includes are found exactly as thriftrw resolves them (aliases, comments), and every error
// names the file, line and column.
import { readFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { createRequire } from "node:module";
import type { IdlDefinition, IdlField, IdlProgram } from "thriftrw/thrift-idl.js";
import { Thrift, type ThriftOptions } from "thriftrw";
import { ThriftLoadError } from "./thrift-errors.js";
import { restoreNegativeLiterals } from "./idl-literals.js";

/** The files of an IDL, by absolute path, the entry point's first among them. */
export interface IdlFiles {
  entry: string;
  idls: Record<string, string>;
  asts: Record<string, IdlProgram>;
  /** Every file, each after the files it includes. */
  order: string[];
}

type Reading = Generator<string, IdlFiles, string>;

// Required, not imported: importing a CommonJS file from ESM runs Node's export lexer over it, and
// this one is a 300 KB generated parser (+0.3 s per process start, measured); thriftrw has
// already loaded it, so require() is a cache hit.
const idl = createRequire(import.meta.url)("thriftrw/thrift-idl.js") as { parse(source: string): IdlProgram };

/** Walks the includes from `entry`, parsing and checking each file once. */
function* collect(entry: string): Reading {
  const files: IdlFiles = { entry, idls: {}, asts: {}, order: [] };
  const visit = function* (file: string, from?: { file: string; line: number; column: number }): Generator<string, void, string> {
    if (files.idls[file] !== undefined) return;
    let source: string;
    try {
      source = yield file;
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message;
      if (from) throw new ThriftLoadError(`cannot read the included file ${show(file)}: ${why}`, show(from.file), from.line, from.column, { cause: err });
      throw new ThriftLoadError(`cannot read ${show(file)}: ${why}`, undefined, undefined, undefined, { cause: err });
    }
    files.idls[file] = source;
    let ast: IdlProgram;
    try {
      ast = idl.parse(source);
    } catch (err) {
      const e = err as { message: string; line?: number; column?: number };
      throw new ThriftLoadError(`syntax error: ${e.message}`, show(file), e.line, e.column, { cause: err });
    }
    restoreNegativeLiterals(source, ast);
    files.asts[file] = ast;
    checkDefinitions(file, ast.definitions);
    for (const def of ast.headers) {
      if (def.type !== "Include") continue;
      const at = { file, line: def.line ?? 1, column: def.column ?? 1 };
      const id = def.id as string;
      if (isAbsolute(id)) throw new ThriftLoadError(`include paths must be relative to the including file, got ${JSON.stringify(id)}`, show(file), at.line, at.column);
      const alias = def.namespace?.name;
      const stem = id.split(/[\\/]/).pop()!.replace(/\.thrift$/, "");
      if (!alias && !/^[A-Za-z_][A-Za-z0-9_.]+$/.test(stem)) {
        throw new ThriftLoadError(`the included file name ${JSON.stringify(stem)} is not a Thrift identifier; give it one: include name ${JSON.stringify(id)}`, show(file), at.line, at.column);
      }
      // thriftrw keys files by path.join(dirname(includer), include): the same here.
      yield* visit(join(dirname(file), id), at);
    }
    files.order.push(file);
  };
  yield* visit(entry);
  return files;
}

/** Reads the files of an IDL asynchronously. */
export async function readIdl(path: string): Promise<IdlFiles> {
  const reading = collect(resolve(path));
  let step = reading.next();
  while (!step.done) {
    let source: string;
    try {
      source = await readFile(step.value, "utf8");
    } catch (err) {
      step = reading.throw(err);
      continue;
    }
    step = reading.next(source);
  }
  return step.value;
}

/** Reads the files of an IDL synchronously. */
export function readIdlSync(path: string): IdlFiles {
  const reading = collect(resolve(path));
  let step = reading.next();
  while (!step.done) {
    let source: string;
    try {
      source = readFileSync(step.value, "utf8");
    } catch (err) {
      step = reading.throw(err);
      continue;
    }
    step = reading.next(source);
  }
  return step.value;
}

/** An IDL given as a string, without includes. */
export function idlFromSource(source: string): IdlFiles {
  const reading = collect(resolve("service.thrift"));
  let step = reading.next();
  let first = true;
  while (!step.done) {
    if (!first) step = reading.throw(Object.assign(new Error("an IDL given as a string cannot include files"), { code: "EINCLUDE" }));
    else step = reading.next(source);
    first = false;
  }
  return step.value;
}

const OPTIONS: ThriftOptions = { strict: false, allowOptionalArguments: true, allowIncludeAlias: true };

/**
 * thriftrw's model of the IDL. thriftrw's own errors carry a line and column but not the file:
 * on failure each file is compiled alone, includes first, and the first that fails is the one.
 */
export function compileIdl(files: IdlFiles): Thrift {
  const make = (entryPoint: string) => new Thrift({ ...OPTIONS, entryPoint, idls: { ...files.idls }, asts: { ...files.asts } });
  try {
    return make(files.entry);
  } catch (err) {
    for (const file of files.order) {
      try {
        make(file);
      } catch (inner) {
        throw located(inner, file);
      }
    }
    throw located(err, files.entry);
  }
}

function located(err: unknown, file: string): ThriftLoadError {
  const e = err as { message?: string; line?: number; column?: number };
  let message = String(e?.message ?? err);
  let line = e?.line;
  let column = e?.column;
  const at = / at (\d+):(\d+)/.exec(message);
  if (at) {
    line ??= Number(at[1]);
    column ??= Number(at[2]);
    message = message.replace(at[0], "");
  }
  return new ThriftLoadError(message, show(file), line, column, { cause: err });
}

/** Where in the IDL files a struct's field is declared (for errors found after thriftrw's pass). */
export function fieldLocation(files: IdlFiles, file: string, struct: string, fieldId: number): { file: string; line?: number; column?: number } {
  const def = files.asts[file]?.definitions.find((d) => (d.id as { name?: string } | undefined)?.name === struct);
  const field = def?.fields?.find((f) => f.id.value === fieldId);
  return { file: show(file), line: field?.id.line, column: field?.id.column };
}

/** Errors thriftrw accepts: two fields with one id (undecodable) or one name. */
function checkDefinitions(file: string, defs: IdlDefinition[]): void {
  const checkFields = (owner: string, fields: IdlField[] | undefined) => {
    const ids = new Map<number, string>();
    const names = new Set<string>();
    for (const f of fields ?? []) {
      const other = ids.get(f.id.value);
      if (other !== undefined) throw new ThriftLoadError(`duplicate field id ${f.id.value} in ${owner}: ${f.name} and ${other}`, show(file), f.id.line, f.id.column);
      if (names.has(f.name)) throw new ThriftLoadError(`duplicate field name ${f.name} in ${owner}`, show(file), f.id.line, f.id.column);
      ids.set(f.id.value, f.name);
      names.add(f.name);
    }
  };
  for (const def of defs) {
    const name = (def.id as { name?: string } | undefined)?.name ?? "?";
    if (def.type === "Struct" || def.type === "Union" || def.type === "Exception") checkFields(name, def.fields);
    if (def.type === "Service") {
      for (const fn of def.functions ?? []) {
        checkFields(`the arguments of ${name}.${fn.id.name}`, fn.fields);
        checkFields(`the exceptions of ${name}.${fn.id.name}`, fn.throws);
      }
    }
  }
}

/** A file as errors show it: relative to the current directory when under it. */
function show(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel) ? rel : file;
}
