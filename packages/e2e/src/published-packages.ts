// The packages a user can install: every non-private workspace package under packages/, as
// pnpm itself lists the workspace (so a new package is picked up without editing this file).
// Jest compiles this to CommonJS, which is where __dirname comes from.
import { readFileSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import { runCommand } from "./run-command.js";

export const E2E_DIR: string = resolve(__dirname, "..");
export const WORKSPACE_ROOT: string = resolve(E2E_DIR, "..", "..");

export interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  license?: string;
  files?: string[];
  bin?: string | Record<string, string>;
  exports?: unknown;
  main?: string;
  types?: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

export interface WorkspacePackage {
  name: string;
  version: string;
  dir: string;
  manifest: Manifest;
}

interface PnpmListEntry {
  name?: string;
  version?: string;
  path: string;
  private?: boolean;
  license?: string;
}

export function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Manifest;
}

/** The non-private packages in packages/, sorted by name. */
export async function publishedPackages(): Promise<WorkspacePackage[]> {
  const { stdout } = await runCommand("pnpm", ["ls", "--recursive", "--depth", "-1", "--json"], {
    cwd: WORKSPACE_ROOT,
    timeoutMs: 30000,
  });
  const entries = JSON.parse(stdout) as PnpmListEntry[];
  return entries
    .filter((entry) => entry.private !== true && relative(WORKSPACE_ROOT, entry.path).startsWith(`packages${sep}`))
    .map((entry) => ({ name: entry.name!, version: entry.version!, dir: entry.path, manifest: readManifest(entry.path) }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Ours: the names a published package may only get from our own tarballs. */
export function isOurPackage(name: string): boolean {
  return name.startsWith("@tchannel/") || name.startsWith("@tchannel-internal/") || name === "tchannel-ts";
}
