// The release rehearsal (RELEASING.md), against a real registry: Verdaccio on 127.0.0.1.
//  1. In a copy of the repository, the maintainer's commands: `pnpm version-packages` (the
//     initial-release changesets -> 0.1.0), then `pnpm release` (build, `changeset publish`).
//  2. A user installs tchannel-ts from that registry into an empty project, once with npm and once
//     with pnpm, and runs the guide's keyvalue server and client from there (and, with npm,
//     `tchannel-thrift types`).
//  3. A changeset that bumps only @tchannel/frame: only frame gets a new version and is
//     published, and both users upgrade to it with their package manager's update command.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { copyFile, readFile, writeFile } from "node:fs/promises";
import { join, sep } from "node:path";
import { E2E_DIR, type WorkspacePackage, publishedPackages } from "./published-packages.js";
import { type ReleaseSandbox, createReleaseSandbox } from "./release-sandbox.js";
import { runCommand } from "./run-command.js";
import { startServer } from "./server-process.js";
import { type UserProject, createUserProject, userEnv } from "./user-project.js";
import { type Registry, installVerdaccio, readJson, startVerdaccio } from "./verdaccio.js";

const FIXTURES = join(E2E_DIR, "fixtures");
const FRAME = "@tchannel/frame";

let registry: Registry;
let sandbox: ReleaseSandbox;
let published: WorkspacePackage[];
let initialVersionChanges: string[];
let releaseOutput: string;
let npmUser: UserProject;
let pnpmUser: UserProject;

async function userProject(label: string): Promise<UserProject> {
  const project = await createUserProject(label);
  // pnpm would otherwise refuse versions published less than its minimum release age ago.
  await writeFile(join(project.dir, ".npmrc"), `${registry.npmrc}minimum-release-age=0\n`);
  for (const file of ["keyvalue.thrift", "keyvalue-server.mjs", "keyvalue-client.mjs", "installed-versions.mjs"]) await copyFile(join(FIXTURES, file), join(project.dir, file));
  return project;
}

async function installedVersions(project: UserProject): Promise<{ tchannel: string; frame: string }> {
  const { stdout } = await runCommand(process.execPath, ["installed-versions.mjs"], { cwd: project.dir, env: userEnv(), timeoutMs: 30000 });
  return JSON.parse(stdout.trim().split("\n").pop()!) as { tchannel: string; frame: string };
}

async function keyvalueRoundTrip(project: UserProject): Promise<void> {
  const server = await startServer("keyvalue-server.mjs", project.dir, 60000, userEnv());
  try {
    const { stdout } = await runCommand(process.execPath, ["keyvalue-client.mjs", server.hostPort], { cwd: project.dir, env: userEnv(), timeoutMs: 60000 });
    const result = JSON.parse(stdout.trim().split("\n").pop()!) as { value: unknown; notFound: { name: string } | null; resolved: string };
    expect(result.value).toBe("Hello, world!");
    expect(result.notFound?.name).toBe("NotFoundError");
    expect(result.resolved.startsWith(join(project.dir, "node_modules") + sep)).toBe(true);
  } finally {
    expect(await server.stop()).toBe(0);
  }
}

function logStep(step: string, started: number): void {
  console.log(`${step}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

beforeAll(async () => {
  let started = Date.now();
  const bin = await installVerdaccio();
  logStep("verdaccio installed or found in the cache", started);
  started = Date.now();
  registry = await startVerdaccio(bin);
  published = await publishedPackages();
  // changesets asks the registry which versions exist with `npm info`: npm_config_registry; the
  // .npmrc gives npm and pnpm the registry and the token.
  sandbox = await createReleaseSandbox({ ...userEnv(), npm_config_registry: registry.url });
  await writeFile(join(sandbox.dir, ".npmrc"), registry.npmrc);
  logStep("verdaccio started, repository copied and installed", started);
  started = Date.now();
  await sandbox.run("pnpm", ["run", "version-packages"], { timeoutMs: 300000 });
  logStep("pnpm version-packages", started);
  started = Date.now();
  initialVersionChanges = await sandbox.changedFiles();
  await sandbox.commit("Version packages");
  const release = await sandbox.run("pnpm", ["run", "release"], { timeoutMs: 900000 });
  releaseOutput = release.stdout + release.stderr;
  logStep("pnpm release (build, changeset publish)", started);
  [npmUser, pnpmUser] = await Promise.all([userProject("registry-npm"), userProject("registry-pnpm")]);
}, 1800000);

afterAll(async () => {
  await npmUser?.remove();
  await pnpmUser?.remove();
  await sandbox?.remove();
  await registry?.stop();
});

describe("the first release, to a local registry", () => {
  it("versions every published package 0.1.0, with a CHANGELOG, and consumes the changesets", async () => {
    expect(published.length).toBeGreaterThanOrEqual(9);
    for (const pkg of published) {
      const dir = join(sandbox.dir, pkg.dir.slice(pkg.dir.indexOf(`${sep}packages${sep}`) + 1));
      const manifest = await readJson<{ version: string }>(join(dir, "package.json"));
      expect(`${pkg.name}@${manifest.version}`).toBe(`${pkg.name}@0.1.0`);
      const changelog = await readFile(join(dir, "CHANGELOG.md"), "utf8");
      expect(changelog).toContain("## 0.1.0");
    }
    expect(initialVersionChanges.filter((file) => file.startsWith(".changeset/initial-release-")).length).toBeGreaterThanOrEqual(9);
    // Private packages are not versioned.
    expect(initialVersionChanges.filter((file) => file.startsWith("apps/") || file.startsWith("packages/e2e/"))).toEqual([]);
  });

  it("publishes every published package, and nothing private", async () => {
    for (const pkg of published) expect(`${pkg.name}: ${(await registry.versions(pkg.name)).join(",")}`).toBe(`${pkg.name}: 0.1.0`);
    for (const name of ["@tchannel-examples/keyvalue", "@tchannel-internal/e2e", "@tchannel-internal/interop"]) expect(await registry.versions(name)).toEqual([]);
    expect(releaseOutput).toContain("published");
  });
});

describe("a user of the registry", () => {
  it("installs tchannel-ts with npm and runs the keyvalue server and client", async () => {
    await runCommand("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", "tchannel-ts"], { cwd: npmUser.dir, env: userEnv(), timeoutMs: 300000 });
    const manifest = await readJson<{ dependencies: Record<string, string> }>(join(npmUser.dir, "package.json"));
    expect(manifest.dependencies).toEqual({ "tchannel-ts": "^0.1.0" });
    await keyvalueRoundTrip(npmUser);
  }, 600000);

  it("generates Thrift declarations with tchannel-thrift types there (npm)", async () => {
    await runCommand(join(npmUser.dir, "node_modules", ".bin", "tchannel-thrift"), ["types", "keyvalue.thrift", "--out", "keyvalue.d.ts"], {
      cwd: npmUser.dir,
      env: userEnv(),
      timeoutMs: 60000,
    });
    const declarations = await readFile(join(npmUser.dir, "keyvalue.d.ts"), "utf8");
    expect(declarations).toContain("getValue");
    expect(declarations).toContain("NotFoundError");
  }, 120000);

  it("installs tchannel-ts with pnpm and runs the keyvalue server and client", async () => {
    await runCommand("pnpm", ["add", "tchannel-ts", "--reporter=append-only", "--config.minimum-release-age=0"], { cwd: pnpmUser.dir, env: userEnv(), timeoutMs: 300000 });
    const manifest = await readJson<{ dependencies: Record<string, string> }>(join(pnpmUser.dir, "package.json"));
    expect(manifest.dependencies).toEqual({ "tchannel-ts": "^0.1.0" });
    await keyvalueRoundTrip(pnpmUser);
  }, 600000);
});

describe("a patch of @tchannel/frame alone", () => {
  let versionChanges: string[];

  beforeAll(async () => {
    await writeFile(join(sandbox.dir, ".changeset", "frame-patch.md"), `---\n"${FRAME}": patch\n---\n\nA patch of the codec alone.\n`);
    await sandbox.commit("frame: a patch");
    await sandbox.run("pnpm", ["run", "version-packages"], { timeoutMs: 300000 });
    versionChanges = await sandbox.changedFiles();
    await sandbox.commit("Version packages");
    await sandbox.run("pnpm", ["run", "release"], { timeoutMs: 900000 });
  }, 1200000);

  it("changes only frame's version and changelog (changesets' updateInternalDependencies: minor)", () => {
    expect(versionChanges).toEqual([".changeset/frame-patch.md", "packages/frame/CHANGELOG.md", "packages/frame/package.json"]);
  });

  it("publishes frame 0.1.1 and nothing else", async () => {
    expect(await registry.versions(FRAME)).toEqual(["0.1.0", "0.1.1"]);
    for (const pkg of published) if (pkg.name !== FRAME) expect(`${pkg.name}: ${(await registry.versions(pkg.name)).join(",")}`).toBe(`${pkg.name}: 0.1.0`);
  });

  it("reaches the npm user with npm update, and the app still runs", async () => {
    expect(await installedVersions(npmUser)).toEqual({ tchannel: "0.1.0", frame: "0.1.0" });
    await runCommand("npm", ["update", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: npmUser.dir, env: userEnv(), timeoutMs: 300000 });
    expect(await installedVersions(npmUser)).toEqual({ tchannel: "0.1.0", frame: "0.1.1" });
    await keyvalueRoundTrip(npmUser);
  }, 600000);

  it("reaches the pnpm user with pnpm update @tchannel/frame, and the app still runs", async () => {
    expect(await installedVersions(pnpmUser)).toEqual({ tchannel: "0.1.0", frame: "0.1.0" });
    // Without a name, pnpm update updates direct dependencies only; frame comes through tchannel-ts.
    // A fresh metadata cache: pnpm's own still holds the frame document of the first install
    // (minutes old here; a real user upgrades later than that).
    const cacheDir = join(pnpmUser.dir, ".pnpm-cache-after-release");
    await runCommand("pnpm", ["update", FRAME, "--reporter=append-only", `--config.cache-dir=${cacheDir}`, "--config.minimum-release-age=0"], {
      cwd: pnpmUser.dir,
      env: userEnv(),
      timeoutMs: 300000,
    });
    expect(await installedVersions(pnpmUser)).toEqual({ tchannel: "0.1.0", frame: "0.1.1" });
    await keyvalueRoundTrip(pnpmUser);
  }, 600000);
});

