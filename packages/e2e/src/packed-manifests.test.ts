// What `pnpm pack` puts in each published tarball: the manifest a user's npm reads, and the files.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, posix, relative, sep } from "node:path";
import { type DeclaredPackages, declaredPackages } from "./declared-packages.js";
import { importSpecifiers, isRelative, packageOf } from "./dist-imports.js";
import { type PackedPackage, packAll } from "./pack.js";
import { type Manifest, WORKSPACE_ROOT, isOurPackage, publishedPackages } from "./published-packages.js";

// The workspace-only export condition: jest and tsc resolve sibling packages to their sources
// with it. Each package's publishConfig.exports leaves it out of the published manifest.
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

function withoutSourceCondition(value: unknown): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([key]) => key !== SOURCE_CONDITION).map(([key, v]) => [key, withoutSourceCondition(v)]));
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

  it("ship their sources (for the source and declaration maps) but no tests or build configuration", () => {
    for (const pkg of packed.values()) {
      const unwanted = pkg.files.filter(
        (file) =>
          file.startsWith("test/") ||
          /(^|\/)__tests__\//.test(file) ||
          /\.test\.[cm]?[jt]s(\.map)?$/.test(file) ||
          /\.test\.d\.ts(\.map)?$/.test(file) ||
          /(^|\/)(tsconfig[^/]*\.json|jest\.config\.[cm]?js|turbo\.json|\.test-results\.json)$/.test(file) ||
          (/\.[cm]?ts$/.test(file) && !/\.d\.[cm]?ts$/.test(file) && !file.startsWith("src/")),
      );
      expect(`${pkg.name}: ${unwanted.join(", ")}`).toBe(`${pkg.name}: `);
      expect(pkg.files).toContain("src/index.ts");
    }
  });

  it("have source maps and declaration maps whose sources are in the tarball", async () => {
    for (const pkg of packed.values()) {
      const files = new Set(pkg.files);
      const maps = pkg.files.filter((file) => file.endsWith(".map"));
      expect(`${pkg.name}: ${maps.some((m) => m.endsWith(".js.map"))} ${maps.some((m) => m.endsWith(".d.ts.map"))}`).toBe(`${pkg.name}: true true`);
      for (const map of maps) {
        const { sources } = JSON.parse(await readFile(join(pkg.unpackedDir, map), "utf8")) as { sources: string[] };
        for (const source of sources) {
          const target = posix.normalize(posix.join(posix.dirname(map), source));
          expect(`${pkg.name} ${map} -> ${source}: ${files.has(target) ? "shipped" : "missing"}`).toBe(`${pkg.name} ${map} -> ${source}: shipped`);
        }
      }
    }
  });

  it("keep the TSDoc of the sources in their .d.ts files", async () => {
    for (const pkg of packed.values()) {
      const declarations = pkg.files.filter((file) => file.endsWith(".d.ts"));
      let documented = 0;
      for (const file of declarations) if ((await readFile(join(pkg.unpackedDir, file), "utf8")).includes("/**")) documented++;
      expect(`${pkg.name}: ${documented > 0 ? "has" : "has no"} TSDoc in its .d.ts files`).toBe(`${pkg.name}: has TSDoc in its .d.ts files`);
    }
  });

  it("ship the MIT LICENSE of the repository and a README", async () => {
    const license = await readFile(join(WORKSPACE_ROOT, "LICENSE"), "utf8");
    expect(license).toMatch(/^MIT License/);
    for (const pkg of packed.values()) {
      expect(`${pkg.name}: ${pkg.manifest.license}`).toBe(`${pkg.name}: MIT`);
      expect(`${pkg.name}: LICENSE ${pkg.files.includes("LICENSE") ? "shipped" : "missing"}`).toBe(`${pkg.name}: LICENSE shipped`);
      expect(await readFile(join(pkg.unpackedDir, "LICENSE"), "utf8")).toBe(license);
      expect(`${pkg.name}: README.md ${pkg.files.includes("README.md") ? "shipped" : "missing"}`).toBe(`${pkg.name}: README.md shipped`);
    }
  });

  it("say where they come from and publish as public packages", () => {
    for (const pkg of packed.values()) {
      const m = pkg.manifest as Manifest & {
        repository?: { type: string; url: string; directory: string };
        homepage?: string;
        bugs?: { url: string };
        keywords?: string[];
        publishConfig?: { access?: string };
        description?: string;
      };
      const dir = relative(WORKSPACE_ROOT, declared.packable.find((p) => p.name === pkg.name)!.dir).split(sep).join("/");
      expect({ name: pkg.name, repository: m.repository }).toEqual({
        name: pkg.name,
        repository: { type: "git", url: expect.stringMatching(/^git\+https:\/\/.+\.git$/), directory: dir },
      });
      expect(m.homepage).toMatch(new RegExp(`/tree/main/${dir}#readme$`));
      expect(m.bugs?.url).toMatch(/\/issues$/);
      expect(m.keywords).toEqual(expect.arrayContaining(["tchannel"]));
      expect(m.description?.length).toBeGreaterThan(20);
      expect(`${pkg.name}: ${m.publishConfig?.access}`).toBe(`${pkg.name}: public`);
    }
  });

  it("build before they are packed (prepack), so a fresh clone cannot pack an empty package", () => {
    for (const pkg of declared.packable) {
      const scripts = (pkg.manifest as Manifest & { scripts?: Record<string, string> }).scripts ?? {};
      expect(`${pkg.name}: ${scripts.prepack}`).toBe(`${pkg.name}: ${scripts.build}`);
    }
  });

  it("publish without the workspace-only source condition, and otherwise the exports of the workspace", () => {
    for (const pkg of packed.values()) {
      expect(JSON.stringify(pkg.manifest.exports)).not.toContain(SOURCE_CONDITION);
      const source = declared.packable.find((p) => p.name === pkg.name)!.manifest;
      expect(pkg.manifest.exports).toEqual(withoutSourceCondition(source.exports));
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
