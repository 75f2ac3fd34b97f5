// The path of a devDependency's bin script, to run it with this Node (no shell, no PATH lookup).
// Read from node_modules directly: some packages (publint) do not export their package.json.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { E2E_DIR } from "./published-packages.js";

export function packageBin(pkg: string, bin: string): string {
  const manifestPath = join(E2E_DIR, "node_modules", pkg, "package.json");
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { bin?: string | Record<string, string> };
  const target = typeof manifest.bin === "string" ? manifest.bin : manifest.bin?.[bin];
  if (target === undefined) throw new Error(`${pkg} has no bin ${bin}`);
  return join(dirname(manifestPath), target);
}
