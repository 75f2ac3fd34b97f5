// Enforces the dependency direction of ARCHITECTURE.md: a package may depend only on packages
// in lower layers, and every @tchannel/* import in its sources must be a declared dependency.
import { readdirSync, readFileSync, existsSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const LAYERS = {
  "@tchannel/frame": 0,
  "@tchannel/channel": 1,
  "@tchannel/json": 2,
  "@tchannel/raw": 2,
  "@tchannel/thrift": 2,
  "@tchannel/hyperbahn": 3,
  "@tchannel/sync": 3,
  "@tchannel/vcr": 3,
  "@tchannel/opentelemetry": 3,
  "tchannel-ts": 4,
  "@tchannel/tcurl": 5,
};
const TOP = 6; // apps, tests and benchmarks may use anything

const root = new URL("..", import.meta.url).pathname;
const problems = [];

function* sourceFiles(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name !== "node_modules" && name !== "dist") yield* sourceFiles(p);
    } else if (/\.(ts|mts|js|mjs)$/.test(name)) yield p;
  }
}

for (const group of ["packages", "apps"]) {
  const groupDir = join(root, group);
  if (!existsSync(groupDir)) continue;
  for (const dirName of readdirSync(groupDir)) {
    const pkgFile = join(groupDir, dirName, "package.json");
    if (!existsSync(pkgFile)) continue;
    const pkg = JSON.parse(readFileSync(pkgFile, "utf8"));
    const layer = LAYERS[pkg.name] ?? (pkg.private ? TOP : undefined);
    if (layer === undefined) {
      problems.push(`${pkg.name}: not in the layer table of scripts/check-deps.mjs`);
      continue;
    }
    const declared = new Set([
      ...Object.keys(pkg.dependencies ?? {}),
      ...Object.keys(pkg.peerDependencies ?? {}),
      ...(pkg.private ? Object.keys(pkg.devDependencies ?? {}) : []),
    ]);
    for (const dep of declared) {
      const depLayer = LAYERS[dep];
      if (depLayer !== undefined && depLayer >= layer) {
        problems.push(`${pkg.name} (layer ${layer}) depends on ${dep} (layer ${depLayer})`);
      }
    }
    const srcDir = join(groupDir, dirName, "src");
    if (!existsSync(srcDir)) continue;
    for (const file of sourceFiles(srcDir)) {
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(/from\s+["']((?:@tchannel\/[^/"']+)|tchannel-ts)(\/[^"']*)?["']/g)) {
        const dep = m[1];
        // Tests may hold consumer programs in strings (e.g. the .d.ts generator's type test).
        if (dep === pkg.name) {
          if (!file.endsWith(".test.ts")) problems.push(`${relative(root, file)} imports its own package ${dep}`);
        }
        else if (!declared.has(dep) && !(pkg.devDependencies ?? {})[dep]) {
          problems.push(`${relative(root, file)} imports ${dep}, which ${pkg.name} does not declare`);
        } else if (!file.endsWith(".test.ts") && !declared.has(dep)) {
          problems.push(`${relative(root, file)} imports ${dep}, a devDependency of ${pkg.name}, outside a test`);
        }
      }
    }
  }
}

if (problems.length > 0) {
  console.error(`dependency direction violated:\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
console.log("dependency direction: ok");
