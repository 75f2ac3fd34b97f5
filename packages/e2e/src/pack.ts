// `pnpm pack` each published package, as `pnpm publish` would (workspace: ranges rewritten), and
// unpack the tarballs so tests can look at exactly what a user would download.
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { type Manifest, type WorkspacePackage, isOurPackage } from "./published-packages.js";
import { runCommand } from "./run-command.js";

export interface PackedPackage {
  name: string;
  version: string;
  /** Absolute path of the .tgz. */
  tarball: string;
  /** The tarball's entries, relative to its `package/` folder. */
  files: string[];
  /** The packed package.json (not the workspace one). */
  manifest: Manifest;
  /** Where the tarball was unpacked (the `package/` folder). */
  unpackedDir: string;
}

interface PnpmPackJson {
  name: string;
  version: string;
  filename: string;
}

export async function packPackage(pkg: WorkspacePackage, destination: string): Promise<PackedPackage> {
  // --ignore-scripts: turbo built dist/ before the tests (`test` dependsOn `^build`), so the
  // prepack build is skipped here; the registry test publishes with it.
  const { stdout } = await runCommand("pnpm", ["pack", "--ignore-scripts", "--pack-destination", destination, "--json"], {
    cwd: pkg.dir,
    timeoutMs: 60000,
  });
  const result = JSON.parse(stdout) as PnpmPackJson;
  const listing = await runCommand("tar", ["-tzf", result.filename], { cwd: destination, timeoutMs: 30000 });
  const files = listing.stdout
    .split("\n")
    .filter((line) => line.startsWith("package/") && !line.endsWith("/"))
    .map((line) => line.slice("package/".length));
  const unpackRoot = join(destination, "unpacked", result.name.replace("/", "__"));
  await mkdir(unpackRoot, { recursive: true });
  await runCommand("tar", ["-xzf", result.filename, "-C", unpackRoot], { cwd: destination, timeoutMs: 30000 });
  const unpackedDir = join(unpackRoot, "package");
  const manifest = JSON.parse(await readFile(join(unpackedDir, "package.json"), "utf8")) as Manifest;
  return { name: result.name, version: result.version, tarball: result.filename, files, manifest, unpackedDir };
}

/** Packs every package (concurrently: each pack is a few tens of milliseconds). */
export async function packAll(packages: readonly WorkspacePackage[], destination: string): Promise<Map<string, PackedPackage>> {
  const packed = await Promise.all(packages.map((pkg) => packPackage(pkg, destination)));
  return new Map(packed.map((p) => [p.name, p]));
}

/**
 * The tarballs a user needs to install `root`: it and, transitively, every package of ours its
 * packed manifest depends on. Throws if one of them was not packed (it would come from the
 * registry, where @tchannel/* is not published).
 */
export function tarballsFor(root: string, packed: ReadonlyMap<string, PackedPackage>): PackedPackage[] {
  const needed = new Map<string, PackedPackage>();
  const visit = (name: string, from: string) => {
    if (needed.has(name)) return;
    const pkg = packed.get(name);
    if (pkg === undefined) throw new Error(`${from} needs ${name}, which was not packed`);
    needed.set(name, pkg);
    for (const dep of Object.keys({ ...pkg.manifest.dependencies, ...pkg.manifest.optionalDependencies, ...pkg.manifest.peerDependencies })) {
      if (isOurPackage(dep)) visit(dep, name);
    }
  };
  visit(root, "the test");
  return [...needed.values()];
}
