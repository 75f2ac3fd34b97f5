#!/usr/bin/env node
// The tcurl bin: runTcurl on process.argv, exiting with its code once stdout has drained.
import { readFileSync } from "node:fs";
import { runTcurl } from "./run.js";

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;
  } catch {
    return "0.0.0";
  }
}

const code = await runTcurl(process.argv.slice(2), {
  stdout: (chunk) => process.stdout.write(chunk),
  stderr: (text) => process.stderr.write(text),
  version: packageVersion(),
});
process.exitCode = code;
