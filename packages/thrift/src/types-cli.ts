// `tchannel-thrift types`: TypeScript declarations for an IDL loaded at run time. Shipped as the
// `tchannel-thrift` bin of both @tchannel/thrift and tchannel-ts, each importing from itself.
import { readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { loadThriftSync } from "./thrift-module.js";
import { generateTypes } from "./type-generator.js";

const usage = (importFrom: string) =>
  `usage: tchannel-thrift types <file.thrift> [--out <file.d.ts>] [--name <ModuleInterface>] [--import <package>]\n` +
  `  --import  the package the declarations import from: tchannel-ts or @tchannel/thrift (default: the one\n` +
  `            your package.json depends on, here ${importFrom})`;

/**
 * The package the user's project depends on, of the two that export what the declarations need:
 * `tchannel-ts` if the nearest package.json from `cwd` lists it, else `@tchannel/thrift` if it
 * lists that, else `fallback`. Both packages ship a `tchannel-thrift` bin and npm links only one
 * of them, so the bin alone cannot tell (with pnpm, `@tchannel/thrift` does not even resolve from
 * a project that installed only tchannel-ts).
 */
export function projectImport(cwd: string, fallback: string): string {
  for (let dir = cwd; ; dir = dirname(dir)) {
    let manifest: Record<string, Record<string, string> | undefined> | undefined;
    try {
      manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    } catch {
      manifest = undefined;
    }
    if (manifest) {
      const deps = { ...manifest.peerDependencies, ...manifest.devDependencies, ...manifest.dependencies };
      for (const name of ["tchannel-ts", ["@tchannel", "thrift"].join("/")]) if (deps[name] !== undefined) return name;
      return fallback;
    }
    if (dirname(dir) === dir) return fallback;
  }
}

/** Runs the CLI on `argv` (without node and the script); returns the exit code. */
export function runTypesCli(argv: string[], fallbackImport: string, cwd = process.cwd()): number {
  const defaultImport = projectImport(cwd, fallbackImport);
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { out: { type: "string", short: "o" }, name: { type: "string" }, import: { type: "string" }, help: { type: "boolean", short: "h" } },
    });
  } catch (err) {
    console.error(`tchannel-thrift: ${(err as Error).message}\n${usage(defaultImport)}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help || positionals[0] !== "types" || positionals.length !== 2) {
    (values.help ? console.log : console.error)(usage(defaultImport));
    return values.help ? 0 : 2;
  }
  const path = positionals[1]!;
  const stem = basename(path).replace(/\.thrift$/, "");
  const name = values.name ?? `${stem.replace(/(^|[^A-Za-z0-9])([A-Za-z0-9])/g, (_m, _s, c: string) => c.toUpperCase())}Module`;
  try {
    const module = loadThriftSync(path, { service: stem });
    const text = generateTypes(module, name, { importFrom: values.import ?? defaultImport });
    if (values.out) writeFileSync(values.out, text);
    else process.stdout.write(text);
    return 0;
  } catch (err) {
    console.error(`tchannel-thrift: ${(err as Error).message}`);
    return 1;
  }
}
