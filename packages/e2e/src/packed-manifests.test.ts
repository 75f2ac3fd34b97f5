// What `pnpm pack` puts in each published tarball: the manifest a user's npm reads, and the files.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, posix } from "node:path";
import { type DeclaredPackages, declaredPackages } from "./declared-packages.js";
import { importSpecifiers, isRelative, packageOf } from "./dist-imports.js";
import { type PackedPackage, packAll } from "./pack.js";
import { type Manifest, isOurPackage, publishedPackages } from "./published-packages.js";

// The workspace-only export condition: jest and tsc resolve sibling packages to their sources
// with it. It points at src/, which is not published; no user sets this condition.
const SOURCE_CONDITION = "@tchannel/source";
const DEPENDENCY_FIELDS = ["dependencies", "devDependencies", "peerDependencies", "optionalDependencies"] as const;

let declared: DeclaredPackages;
let packed: Map<string, PackedPackage>;
let destination: string;

beforeAll(async () => {
  declared = await declaredPackages();
  destination = await mkdtemp(join(tmpdir(), "tchannel-e2e-pack-"));
  packed = await packAll(declared.packable, destination);
});

afterAll(async () => {
  if (destination) await rm(destination, { recursive: true, force: true });
});

/** Every [condition path, target] of an `exports` value, skipping the workspace-only condition. */
function exportTargets(value: unknown, path: string[] = []): Array<[string, string]> {
  if (typeof value === "string") return [[path.join(" > ") || ".", value]];
  if (Array.isArray(value)) return value.flatMap((v) => exportTargets(v, path));
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([key, v]) => (key === SOURCE_CONDITION ? [] : exportTargets(v, [...path, key])));
}

function tarballPath(target: string): string {
  return posix.normalize(target.replace(/^\.\//, ""));
}

function binTargets(manifest: Manifest): string[] {
  if (manifest.bin === undefined) return [];
  return typeof manifest.bin === "string" ? [manifest.bin] : Object.values(manifest.bin);
}

describe("the published packages", () => {
  it("are found in the workspace, and each is a devDependency of @tchannel-internal/e2e (so turbo builds it first)", async () => {
    const published = await publishedPackages();
    // The meta-package and the wire codec are what the other tests install; the rest is discovered.
    expect(published.map((p) => p.name)).toEqual(expect.arrayContaining(["@tchannel/frame", "@tchannel/channel", "tchannel-ts"]));
    expect(declared.undeclared.map((name) => `${name}: add "${name}": "workspace:^" to the devDependencies of packages/e2e`)).toEqual([]);
  });

  it("pack to tarballs named after them", () => {
    expect([...packed.keys()].sort()).toEqual(declared.packable.map((p) => p.name).sort());
    for (const pkg of packed.values()) {
      expect(pkg.manifest.name).toBe(pkg.name);
      expect(pkg.files).toContain("package.json");
    }
  });

  it("have no workspace: ranges left, and ranges to our packages that their current versions satisfy", async () => {
    const versions = new Map((await publishedPackages()).map((p) => [p.name, p.version]));
    for (const pkg of packed.values()) {
      const source = declared.packable.find((p) => p.name === pkg.name)!.manifest;
      for (const field of DEPENDENCY_FIELDS) {
        for (const [dep, range] of Object.entries(pkg.manifest[field] ?? {})) {
          expect(`${pkg.name} ${field}.${dep}: ${range}`).not.toContain("workspace:");
          const sourceRange = source[field]?.[dep];
          if (!sourceRange?.startsWith("workspace:")) continue;
          // workspace:^ -> ^version, workspace:~ -> ~version, workspace:* -> version (pnpm's rules).
          const version = versions.get(dep);
          const prefix = sourceRange.slice("workspace:".length);
          const expected = prefix === "*" ? version : prefix === "^" || prefix === "~" ? `${prefix}${version}` : prefix;
          expect(`${pkg.name} ${field}.${dep}: ${range}`).toBe(`${pkg.name} ${field}.${dep}: ${expected}`);
        }
      }
    }
  });

  it("have exports, main, types and bin that point at files in the tarball (.js and .d.ts)", () => {
    for (const pkg of packed.values()) {
      const files = new Set(pkg.files);
      const targets = exportTargets(pkg.manifest.exports);
      expect(`${pkg.name}: ${targets.length} export targets`).not.toBe(`${pkg.name}: 0 export targets`);
      const conditions = targets.map(([condition]) => condition);
      expect(conditions).toEqual(expect.arrayContaining([". > types", ". > default"]));
      for (const [condition, target] of targets) {
        expect(`${pkg.name} exports ${condition}: ${target} ${files.has(tarballPath(target)) ? "shipped" : "missing"}`).toBe(
          `${pkg.name} exports ${condition}: ${target} shipped`,
        );
        if (condition.endsWith("types")) expect(target).toMatch(/\.d\.ts$/);
        else expect(target).toMatch(/\.(m?js|cjs|json)$/);
      }
      for (const single of [pkg.manifest.main, pkg.manifest.types]) {
        if (single !== undefined) expect(`${pkg.name}: ${single} ${files.has(tarballPath(single)) ? "shipped" : "missing"}`).toBe(`${pkg.name}: ${single} shipped`);
      }
      for (const bin of binTargets(pkg.manifest)) {
        expect(`${pkg.name} bin ${bin} ${files.has(tarballPath(bin)) ? "shipped" : "missing"}`).toBe(`${pkg.name} bin ${bin} shipped`);
      }
    }
  });

  it("have bins that start with a node shebang", async () => {
    for (const pkg of packed.values()) {
      for (const bin of binTargets(pkg.manifest)) {
        const head = (await readFile(join(pkg.unpackedDir, bin), "utf8")).split("\n", 1)[0];
        expect(`${pkg.name} ${bin}: ${head}`).toBe(`${pkg.name} ${bin}: #!/usr/bin/env node`);
      }
    }
  });

  it("ship no sources, tests or build configuration", () => {
    for (const pkg of packed.values()) {
      const unwanted = pkg.files.filter(
        (file) =>
          file.startsWith("src/") ||
          file.startsWith("test/") ||
          /(^|\/)__tests__\//.test(file) ||
          /\.test\.[cm]?[jt]s(\.map)?$/.test(file) ||
          /\.test\.d\.ts(\.map)?$/.test(file) ||
          /(^|\/)(tsconfig[^/]*\.json|jest\.config\.[cm]?js|turbo\.json|\.test-results\.json)$/.test(file) ||
          (/\.[cm]?ts$/.test(file) && !/\.d\.[cm]?ts$/.test(file)),
      );
      expect(`${pkg.name}: ${unwanted.join(", ")}`).toBe(`${pkg.name}: `);
    }
  });

  it("import at run time only their dependencies, Node builtins, and files they ship", async () => {
    for (const pkg of packed.values()) {
      const files = new Set(pkg.files);
      const runtime = new Set(Object.keys({ ...pkg.manifest.dependencies, ...pkg.manifest.peerDependencies, ...pkg.manifest.optionalDependencies }));
      for (const file of pkg.files.filter((f) => /\.[cm]?js$/.test(f))) {
        const source = await readFile(join(pkg.unpackedDir, file), "utf8");
        for (const specifier of importSpecifiers(source)) {
          if (isRelative(specifier)) {
            const target = posix.normalize(posix.join(posix.dirname(file), specifier));
            expect(`${pkg.name} ${file} imports ${specifier}: ${files.has(target) ? "shipped" : "missing"}`).toBe(
              `${pkg.name} ${file} imports ${specifier}: shipped`,
            );
            continue;
          }
          const dep = packageOf(specifier);
          if (dep === undefined || dep === pkg.name) continue;
          expect(`${pkg.name} ${file} imports ${dep}: ${runtime.has(dep) ? "a dependency" : "not a dependency"}`).toBe(
            `${pkg.name} ${file} imports ${dep}: a dependency`,
          );
        }
      }
    }
  });

  it("depend only on packages of ours that are published too", () => {
    for (const pkg of packed.values()) {
      for (const dep of Object.keys({ ...pkg.manifest.dependencies, ...pkg.manifest.peerDependencies, ...pkg.manifest.optionalDependencies })) {
        if (isOurPackage(dep)) expect(`${pkg.name} -> ${dep}: ${packed.has(dep) ? "packed" : "not packed (published? a devDependency of e2e?)"}`).toBe(`${pkg.name} -> ${dep}: packed`);
      }
    }
  });
});
