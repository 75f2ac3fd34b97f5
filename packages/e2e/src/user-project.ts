// An empty npm project outside the workspace (in os.tmpdir()), where tarballs are installed with
// plain `npm install`, as a user of the published packages would.
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join, relative } from "node:path";
import type { PackedPackage } from "./pack.js";
import { runCommand } from "./run-command.js";

export interface LockfileEntry {
  version?: string;
  resolved?: string;
  dev?: boolean;
  optional?: boolean;
}

export interface UserProject {
  dir: string;
  /** `npm install` of the given tarballs (copied into the project first); returns its wall time. */
  install(tarballs: readonly PackedPackage[], npmArgs?: readonly string[]): Promise<number>;
  /** `package-lock.json`'s `packages` map, keyed by install path ("node_modules/x"). */
  lockfilePackages(): Promise<Record<string, LockfileEntry>>;
  /** The package names installed under node_modules (scoped ones as "@scope/name"). */
  installedPackages(): Promise<string[]>;
  remove(): Promise<void>;
}

// Settings pnpm or a parent npm script may have exported (npm_config_*) would reach the child npm
// as its own config; a user's shell has none of them. The cache and registry are kept: the cache
// is shared so repeated runs are fast, and the registry is the machine's.
const KEPT_NPM_SETTINGS = new Set(["npm_config_cache", "npm_config_registry", "npm_config_nodedir", "npm_config_userconfig"]);

// NODE_PATH too: pnpm sets it for the scripts it runs (to its store's node_modules), which would let
// a program in the project find packages the project did not install.
export function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    const lower = key.toLowerCase();
    if (/^(npm|pnpm)_/.test(lower) && !KEPT_NPM_SETTINGS.has(lower)) continue;
    if (lower === "node_path") continue;
    env[key] = value;
  }
  env.npm_config_update_notifier = "false";
  return env;
}

export async function createUserProject(label: string): Promise<UserProject> {
  const dir = await mkdtemp(join(tmpdir(), `tchannel-e2e-${label}-`));
  await writeFile(
    join(dir, "package.json"),
    `${JSON.stringify({ name: `e2e-${label}`, version: "1.0.0", private: true, type: "module" }, null, 2)}\n`,
  );

  return {
    dir,
    async install(tarballs, npmArgs = []) {
      const tarballDir = join(dir, "tarballs");
      await mkdir(tarballDir, { recursive: true });
      const specs: string[] = [];
      for (const pkg of tarballs) {
        const target = join(tarballDir, basename(pkg.tarball));
        await copyFile(pkg.tarball, target);
        specs.push(`./${relative(dir, target)}`);
      }
      const started = Date.now();
      // --prefer-offline: third-party packages come from the shared npm cache when it has them,
      // from the registry otherwise.
      await runCommand("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error", ...npmArgs, ...specs], {
        cwd: dir,
        env: userEnv(),
        timeoutMs: 100000,
      });
      return Date.now() - started;
    },
    async lockfilePackages() {
      const lock = JSON.parse(await readFile(join(dir, "package-lock.json"), "utf8")) as {
        packages: Record<string, LockfileEntry>;
      };
      return lock.packages;
    },
    async installedPackages() {
      const modules = join(dir, "node_modules");
      const names: string[] = [];
      for (const entry of await readdir(modules, { withFileTypes: true })) {
        if (!entry.isDirectory() || entry.name.startsWith(".")) continue;
        if (entry.name.startsWith("@")) {
          for (const scoped of await readdir(join(modules, entry.name))) names.push(`${entry.name}/${scoped}`);
        } else names.push(entry.name);
      }
      return names.sort();
    },
    async remove() {
      if (process.env.E2E_KEEP_TMP === "1") {
        console.log(`E2E_KEEP_TMP=1: left ${dir}`);
        return;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
