#!/usr/bin/env node
// tchannel-thrift: tools for Thrift IDLs used with @tchannel/thrift.
//   tchannel-thrift types <file.thrift> [--out <file.d.ts>] [--name <ModuleInterface>]
import { writeFileSync } from "node:fs";
import { basename } from "node:path";
import { parseArgs } from "node:util";
import { loadThriftSync } from "./thrift-module.js";
import { generateTypes } from "./type-generator.js";

const USAGE = "usage: tchannel-thrift types <file.thrift> [--out <file.d.ts>] [--name <ModuleInterface>]";

function main(argv: string[]): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { out: { type: "string", short: "o" }, name: { type: "string" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help || positionals[0] !== "types" || positionals.length !== 2) {
    console.error(USAGE);
    return values.help ? 0 : 2;
  }
  const path = positionals[1]!;
  const stem = basename(path).replace(/\.thrift$/, "");
  const name = values.name ?? `${stem.replace(/(^|[^A-Za-z0-9])([A-Za-z0-9])/g, (_m, _s, c: string) => c.toUpperCase())}Module`;
  const module = loadThriftSync(path, { service: stem });
  const text = generateTypes(module, name);
  if (values.out) writeFileSync(values.out, text);
  else process.stdout.write(text);
  return 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (err) {
  console.error(`tchannel-thrift: ${(err as Error).message}`);
  process.exitCode = 1;
}
