// A user's app on the meta-package: `npm install` of the tarballs in an empty folder outside the
// workspace, then the guide's keyvalue server and client as plain .mjs programs run from there.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { copyFile, lstat, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative, sep } from "node:path";
import { declaredPackages } from "./declared-packages.js";
import { type PackedPackage, packAll, tarballsFor } from "./pack.js";
import { E2E_DIR, WORKSPACE_ROOT, isOurPackage } from "./published-packages.js";
import { runCommand } from "./run-command.js";
import { startServer } from "./server-process.js";
import { type UserProject, createUserProject, userEnv } from "./user-project.js";

const META = "tchannel-ts";
const FIXTURES = join(E2E_DIR, "fixtures");

let packDir: string;
let packed: Map<string, PackedPackage>;
let installed: PackedPackage[];
let project: UserProject;
let installMs: number;

beforeAll(async () => {
  packDir = await mkdtemp(join(tmpdir(), "tchannel-e2e-pack-"));
  packed = await packAll((await declaredPackages()).packable, packDir);
  installed = tarballsFor(META, packed);
  project = await createUserProject("meta");
  installMs = await project.install(installed);
  console.log(`npm install of ${installed.length} tarballs (${installed.map((p) => p.name).join(", ")}): ${installMs} ms`);
  for (const file of ["keyvalue.thrift", "keyvalue-server.mjs", "keyvalue-client.mjs"]) {
    await copyFile(join(FIXTURES, file), join(project.dir, file));
  }
});

/**
 * Writes `lines` as `name` in the user's project and type-checks it as a user's TypeScript project
 * would be (strict, skipLibCheck off) with the workspace's TypeScript and Node types; everything
 * else resolves from the project. Rejects with tsc's output.
 */
async function typecheckUserFile(name: string, lines: string[]): Promise<void> {
  const tsc = join(dirname(require.resolve("typescript/package.json")), "bin", "tsc");
  const nodeTypes = dirname(require.resolve("@types/node/package.json"));
  await writeFile(join(project.dir, name), [...lines, ""].join("\n"));
  const tsconfig = `tsconfig.${name.replace(/\.ts$/, "")}.json`;
  await writeFile(
    join(project.dir, tsconfig),
    JSON.stringify({
      compilerOptions: {
        target: "es2022",
        module: "nodenext",
        moduleResolution: "nodenext",
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        types: ["node"],
        typeRoots: [dirname(nodeTypes)],
      },
      files: [name],
    }),
  );
  await runCommand(process.execPath, [tsc, "-p", tsconfig], { cwd: project.dir, timeoutMs: 60000 });
}

afterAll(async () => {
  await project?.remove();
  if (packDir) await rm(packDir, { recursive: true, force: true });
});

describe("npm install of the tchannel-ts tarballs", () => {
  it("happens outside the workspace", () => {
    expect(relative(WORKSPACE_ROOT, project.dir).startsWith("..")).toBe(true);
  });

  it("needs the meta-package and the layers below it, not tcurl", () => {
    const names = installed.map((p) => p.name).sort();
    // sync is below it too: tchannel-ts exports SyncTChannel (with advertise), issue 8.
    expect(names).toEqual(expect.arrayContaining([META, "@tchannel/frame", "@tchannel/channel", "@tchannel/json", "@tchannel/thrift", "@tchannel/sync"]));
    expect(names).not.toContain("@tchannel/tcurl");
  });

  it("installs exactly those packages of ours, each from its tarball, as real folders (no links into the workspace)", async () => {
    const ours = (await project.installedPackages()).filter(isOurPackage);
    expect(ours).toEqual(installed.map((p) => p.name).sort());

    const lock = await project.lockfilePackages();
    const lockedOurs = Object.keys(lock).filter((path) => isOurPackage(path.replace(/^.*node_modules\//, "")));
    expect(lockedOurs.sort()).toEqual(installed.map((p) => `node_modules/${p.name}`).sort());
    for (const path of lockedOurs) {
      expect(`${path}: ${lock[path]!.resolved}`).toMatch(new RegExp(`^${path}: file:tarballs/[^/]+\\.tgz$`));
      const stat = await lstat(join(project.dir, path));
      expect(stat.isSymbolicLink()).toBe(false);
      expect(stat.isDirectory()).toBe(true);
    }
  });

  it("brings the third-party dependencies from the registry (zod, thriftrw)", async () => {
    const all = await project.installedPackages();
    expect(all).toEqual(expect.arrayContaining(["zod", "thriftrw"]));
  });

  it("runs a keyvalue server and client from that folder: set/get round trip and a NotFoundError", async () => {
    const server = await startServer("keyvalue-server.mjs", project.dir, 30000, userEnv());
    try {
      expect(server.hostPort).toMatch(/^[\d.]+:\d+$/);
      const { stdout } = await runCommand(process.execPath, ["keyvalue-client.mjs", server.hostPort], {
        cwd: project.dir,
        env: userEnv(),
        timeoutMs: 30000,
      });
      const result = JSON.parse(stdout.trim().split("\n").pop()!) as {
        value: unknown;
        notFound: { name: string; key: string; isNotFoundError: boolean; isThriftException: boolean } | null;
        resolved: string;
      };
      expect(result.value).toBe("Hello, world!");
      expect(result.notFound).toEqual({ name: "NotFoundError", key: "missing", isNotFoundError: true, isThriftException: true });
      // Node found tchannel-ts in the project's node_modules, not in the workspace.
      expect(result.resolved.startsWith(join(project.dir, "node_modules", META) + sep)).toBe(true);
    } finally {
      const code = await server.stop();
      expect({ code, output: server.output() }).toEqual({ code: 0, output: expect.stringContaining("Stopped") });
    }
  });

  it("type-checks a TypeScript user of the installed .d.ts files (skipLibCheck off)", async () => {
    await typecheckUserFile("consumer.ts", [
      `import { InvalidArgumentError, RETRY_NEVER, TChannel, TChannelError, ThriftException, TimeoutError, thrift, type ThriftModule } from "tchannel-ts";`,
      `const tchannel = new TChannel({ name: "consumer" });`,
      `const kv: ThriftModule = await thrift.load("keyvalue.thrift", { service: "keyvalue-server" });`,
      `const err: Error = new TimeoutError("too slow");`,
      `const code: string = err instanceof TChannelError ? err.code : "none";`,
      `const isThrift: boolean = err instanceof ThriftException;`,
      `const isLocalMistake: boolean = err instanceof InvalidArgumentError;`,
      `const json = tchannel.json;`,
      `const retry = RETRY_NEVER;`,
      `export { code, isLocalMistake, isThrift, json, kv, retry };`,
      `// @ts-expect-error: the name is required`,
      `new TChannel({});`,
    ]);
  });

  it("runs tchannel-ts's tchannel-thrift bin, whose declarations import tchannel-ts and type-check a typed user (strict, skipLibCheck off)", async () => {
    await runCommand(join(project.dir, "node_modules", ".bin", "tchannel-thrift"), ["types", "keyvalue.thrift", "--out", "keyvalue.d.ts"], { cwd: project.dir, env: userEnv(), timeoutMs: 60000 });
    expect(await readFile(join(project.dir, "keyvalue.d.ts"), "utf8")).toContain(`from ${JSON.stringify(META)};`);
    await typecheckUserFile("typed.ts", [
      `import { TChannel, thrift } from "tchannel-ts";`,
      `import type { KeyvalueModule } from "./keyvalue.js";`,
      `const kv = await thrift.load<KeyvalueModule>("keyvalue.thrift", { service: "keyvalue-server" });`,
      `const tchannel = new TChannel({ name: "keyvalue-server" });`,
      `const values = new Map<string, string>();`,
      `tchannel.thrift.register(kv.KeyValue, "getValue", (request) => {`,
      `  const value = values.get(request.body.key);`,
      `  if (value === undefined) throw new kv.NotFoundError({ key: request.body.key });`,
      `  return value;`,
      `});`,
      `tchannel.thrift.register(kv.KeyValue, "setValue", (request) => {`,
      `  values.set(request.body.key, request.body.value);`,
      `});`,
      `const body: string = (await tchannel.thrift(kv.KeyValue.getValue({ key: "k" }))).body;`,
      `export { body };`,
    ]);
  });
});
