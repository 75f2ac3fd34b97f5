// What the compiled JavaScript of a package imports, found with regular expressions over tsc's
// output (plain `import ... from "x"`, `export ... from "x"`, `import("x")`, `require("x")`).
// Enough to catch a runtime import of a package that is only a devDependency, or of a file the
// tarball does not ship.
import { builtinModules } from "node:module";

const PATTERNS = [
  /(?:^|[\s;}])(?:import|export)\s[^'"`;]*?\sfrom\s*["']([^"']+)["']/g,
  /(?:^|[\s;}])import\s*["']([^"']+)["']/g,
  /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
  /\brequire\s*\(\s*["']([^"']+)["']\s*\)/g,
];

const BUILTINS = new Set(builtinModules);

export function importSpecifiers(source: string): string[] {
  const found = new Set<string>();
  for (const pattern of PATTERNS) {
    for (const match of source.matchAll(pattern)) found.add(match[1]!);
  }
  return [...found];
}

export function isRelative(specifier: string): boolean {
  return specifier.startsWith("./") || specifier.startsWith("../");
}

/** The package a bare specifier names ("@scope/name/sub" -> "@scope/name"), or undefined for a builtin. */
export function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith("node:") || BUILTINS.has(specifier.split("/")[0]!)) return undefined;
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0];
}
