// A throw-away copy of the repository where the real release flow (`pnpm version-packages`,
// `pnpm release`) can run without touching the workspace: the files git tracks (and new files not
// ignored) as they are on disk, a fresh git repository (changesets tags releases), and its own
// `pnpm install`.
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WORKSPACE_ROOT } from "./published-packages.js";
import { runCommand } from "./run-command.js";

export interface ReleaseSandbox {
  dir: string;
  /** Runs a command in the sandbox (or a folder in it), with a user's environment plus `env`. */
  run(file: string, args: readonly string[], options?: { cwd?: string; timeoutMs?: number }): Promise<{ stdout: string; stderr: string }>;
  /** The files changed since the last commit (`git status --porcelain` paths). */
  changedFiles(): Promise<string[]>;
  commit(message: string): Promise<void>;
  remove(): Promise<void>;
}

const GIT_IDENTITY = {
  GIT_AUTHOR_NAME: "e2e",
  GIT_AUTHOR_EMAIL: "e2e@example.invalid",
  GIT_COMMITTER_NAME: "e2e",
  GIT_COMMITTER_EMAIL: "e2e@example.invalid",
};

export async function createReleaseSandbox(env: NodeJS.ProcessEnv): Promise<ReleaseSandbox> {
  const dir = await mkdtemp(join(tmpdir(), "tchannel-e2e-release-"));
  const fullEnv = { ...env, ...GIT_IDENTITY };
  const run = (file: string, args: readonly string[], options: { cwd?: string; timeoutMs?: number } = {}) =>
    runCommand(file, args, { cwd: options.cwd ?? dir, env: fullEnv, timeoutMs: options.timeoutMs ?? 120000 });

  const { stdout } = await runCommand("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: WORKSPACE_ROOT,
    timeoutMs: 60000,
  });
  const files = stdout.split("\0").filter((file) => file !== "" && existsSync(join(WORKSPACE_ROOT, file)));
  for (const file of files) await cp(join(WORKSPACE_ROOT, file), join(dir, file), { recursive: false, force: true });

  // Its own install, from the store the workspace's install filled (hard links: a few seconds).
  // Never links into the workspace's node_modules: `pnpm install` in the sandbox would relink
  // the workspace's packages to the sandbox's.
  await run("pnpm", ["install", "--frozen-lockfile", "--prefer-offline", "--reporter=append-only"], { timeoutMs: 300000 });

  await writeFile(join(dir, ".gitignore"), "node_modules\ndist\n.turbo\n*.tsbuildinfo\n.npmrc\n", { flag: "a" });
  await run("git", ["init", "-q", "-b", "main"]);
  await run("git", ["add", "-A"]);
  await run("git", ["commit", "-q", "-m", "sandbox"]);

  return {
    dir,
    run,
    async changedFiles() {
      const status = await run("git", ["status", "--porcelain", "--untracked-files=all"]);
      return status.stdout
        .split("\n")
        .filter((line) => line.trim() !== "")
        .map((line) => line.slice(3))
        .sort();
    },
    async commit(message) {
      await run("git", ["add", "-A"]);
      await run("git", ["commit", "-q", "-m", message]);
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

