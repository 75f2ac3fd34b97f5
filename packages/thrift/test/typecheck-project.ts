// A scratch TypeScript project that a test writes and type-checks with the workspace's tsc, as a
// user's project would be checked: generated declarations, README blocks, the typed guide. Shared
// by this package's tests and tchannel-ts's (which sits above @tchannel/thrift, so it may import
// this; nothing below thrift does).
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";

const ROOT = join(__dirname, "..", "..", "..");
const TSC = join(ROOT, "node_modules", ".bin", "tsc");

/**
 * Writes `files` (name -> text) into a fresh `dir` with a tsconfig that extends the workspace's
 * base (noEmit, this workspace's sources through the `@tchannel/source` condition, Node types,
 * plus `compilerOptions`), type-checks the `entries`, and removes `dir` again. Throws with tsc's
 * diagnostics when anything fails (a `@ts-expect-error` that is not needed is a failure too).
 */
export function typecheckProject(dir: string, files: Record<string, string>, entries: readonly string[], compilerOptions: Record<string, unknown> = {}): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    const tsconfig = {
      extends: relative(dir, join(ROOT, "tsconfig.base.json")),
      compilerOptions: { noEmit: true, customConditions: ["@tchannel/source"], types: ["node"], ...compilerOptions },
      files: entries,
    };
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify(tsconfig));
    execFileSync(TSC, ["-p", join(dir, "tsconfig.json")], { encoding: "utf8" });
  } catch (err) {
    const stdout = (err as { stdout?: string }).stdout;
    throw stdout === undefined ? err : new Error(`tsc failed:\n${stdout}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
