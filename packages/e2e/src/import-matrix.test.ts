// Which TypeScript and Node set-ups can use the published packages: one user project with the
// tchannel-ts tarballs installed by npm, and in it one folder per set-up (its own package.json
// "type" and tsconfig) holding the same program. Each is type-checked with skipLibCheck off by
// TypeScript 5.8 and by the workspace's TypeScript 6 (strict; skipLibCheck off for the main two);
// those that emit are then run with Node.
//
// The packages are ESM only. CommonJS code loads them with require() (Node >= 20.19 and 22.12
// load ES modules that way; our engines floor is 20.19), which TypeScript models under
// `module: nodenext` (5.8+) and `node20` (5.9+). `module: node16` models Node 16, which could not,
// so it reports TS1479: unsupported, and the README says so.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { declaredPackages } from "./declared-packages.js";
import { packAll, tarballsFor } from "./pack.js";
import { CommandFailedError, runCommand } from "./run-command.js";
import { type UserProject, createUserProject, userEnv } from "./user-project.js";

const TYPESCRIPTS = {
  "5.8": join(dirname(require.resolve("typescript-5.8/package.json")), "bin", "tsc"),
  "6.0": join(dirname(require.resolve("typescript/package.json")), "bin", "tsc"),
} as const;
type TsVersion = keyof typeof TYPESCRIPTS;
const NODE_TYPES = dirname(dirname(require.resolve("@types/node/package.json")));

// The program: the meta-package, a package below it, and a subpath export.
const PROGRAM = `import { TChannel, TimeoutError, thrift, type ThriftModule } from "tchannel-ts";
import { ChecksumType, nativeChecksums } from "@tchannel/frame";
import { hyperbahnSyncExtensionUrl } from "@tchannel/hyperbahn/sync-extension";

const channel = new TChannel({ name: "matrix" });
const err: Error = new TimeoutError("too slow");
const load: (path: string, options: { service: string }) => Promise<ThriftModule> = thrift.load;
const crc: number = ChecksumType.Crc32C;
console.log(JSON.stringify({ channel: channel instanceof TChannel, timeout: err instanceof TimeoutError, load: typeof load, crc, native: typeof nativeChecksums, ext: hyperbahnSyncExtensionUrl().protocol }));
void channel.close();
export function neverCalled(): void {
  // @ts-expect-error: a name is a string (fails as "unused" if the types above resolved to any)
  new TChannel({ name: 1 });
}
`;
const EXPECTED_OUTPUT = { channel: true, timeout: true, load: "function", crc: 3, native: "boolean", ext: "file:" };

interface SetUp {
  name: string;
  type: "module" | "commonjs";
  compilerOptions: Record<string, unknown>;
  /** TypeScript versions that must accept it; the others must fail with `fails`. */
  typescripts: readonly TsVersion[];
  fails?: { typescripts: readonly TsVersion[]; code: string };
  /** Emit and run the output with Node. */
  run: boolean;
  /**
   * Also check the .d.ts files (ours and @types/node): slow (@types/node is large), so done for the
   * two main set-ups; elsewhere the @ts-expect-error line of the program still proves the types resolved.
   */
  checkLibs?: boolean;
}

const SET_UPS: SetUp[] = [
  { name: "esm-nodenext", type: "module", compilerOptions: { module: "nodenext", moduleResolution: "nodenext" }, typescripts: ["5.8", "6.0"], run: true, checkLibs: true },
  { name: "esm-node16", type: "module", compilerOptions: { module: "node16", moduleResolution: "node16" }, typescripts: ["5.8", "6.0"], run: true },
  { name: "esm-bundler", type: "module", compilerOptions: { module: "preserve", moduleResolution: "bundler", noEmit: true }, typescripts: ["5.8", "6.0"], run: false },
  { name: "cjs-nodenext", type: "commonjs", compilerOptions: { module: "nodenext", moduleResolution: "nodenext" }, typescripts: ["5.8", "6.0"], run: true, checkLibs: true },
  { name: "cjs-node20", type: "commonjs", compilerOptions: { module: "node20", moduleResolution: "node16" }, typescripts: ["6.0"], run: true },
  {
    name: "cjs-node16",
    type: "commonjs",
    compilerOptions: { module: "node16", moduleResolution: "node16", noEmit: true },
    typescripts: [],
    fails: { typescripts: ["5.8", "6.0"], code: "TS1479" },
    run: false,
  },
  {
    // moduleResolution node10 ignores "exports": it finds "types"/"main" and, for the subpath,
    // "typesVersions". TypeScript 6 deprecates node10, hence ignoreDeprecations.
    name: "cjs-node10",
    type: "commonjs",
    compilerOptions: { module: "commonjs", moduleResolution: "node10", esModuleInterop: true, ignoreDeprecations: "6.0" },
    typescripts: ["6.0"],
    run: true,
  },
  {
    name: "cjs-node10-ts5.8",
    type: "commonjs",
    compilerOptions: { module: "commonjs", moduleResolution: "node10", esModuleInterop: true },
    typescripts: ["5.8"],
    run: true,
  },
];

let project: UserProject;

beforeAll(async () => {
  const packDir = await mkdtemp(join(tmpdir(), "tchannel-e2e-pack-"));
  try {
    const packed = await packAll((await declaredPackages()).packable, packDir);
    project = await createUserProject("matrix");
    await project.install(tarballsFor("tchannel-ts", packed));
  } finally {
    await rm(packDir, { recursive: true, force: true });
  }
}, 300000);

afterAll(async () => {
  await project?.remove();
});

async function writeSetUp(setUp: SetUp, ts: TsVersion): Promise<string> {
  const dir = join(project.dir, `${setUp.name}-ts${ts}`);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "package.json"), JSON.stringify({ name: setUp.name, private: true, type: setUp.type }));
  await writeFile(join(dir, "main.ts"), PROGRAM);
  await writeFile(
    join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "es2022",
        strict: true,
        skipLibCheck: setUp.checkLibs !== true,
        outDir: "out",
        types: ["node"],
        typeRoots: [NODE_TYPES],
        ...setUp.compilerOptions,
      },
      files: ["main.ts"],
    }),
  );
  return dir;
}

async function typeCheck(dir: string, ts: TsVersion): Promise<string | undefined> {
  try {
    await runCommand(process.execPath, [TYPESCRIPTS[ts], "-p", "tsconfig.json"], { cwd: dir, env: userEnv(), timeoutMs: 120000 });
    return undefined;
  } catch (err) {
    if (err instanceof CommandFailedError) return err.stdout + err.stderr;
    throw err;
  }
}

describe.each(SET_UPS)("a $type project, $name", (setUp) => {
  for (const ts of setUp.typescripts) {
    it(`type-checks with TypeScript ${ts}${setUp.run ? " and runs with Node" : ""}`, async () => {
      const dir = await writeSetUp(setUp, ts);
      expect(await typeCheck(dir, ts)).toBeUndefined();
      if (!setUp.run) return;
      const { stdout, stderr } = await runCommand(process.execPath, [join("out", "main.js")], { cwd: dir, env: userEnv(), timeoutMs: 30000 });
      expect(JSON.parse(stdout.trim().split("\n").pop()!)).toEqual(EXPECTED_OUTPUT);
      expect(stderr).not.toMatch(/ExperimentalWarning/);
    }, 180000);
  }
  for (const ts of setUp.fails?.typescripts ?? []) {
    it(`is not supported with TypeScript ${ts}: ${setUp.fails!.code}`, async () => {
      const dir = await writeSetUp(setUp, ts);
      expect(await typeCheck(dir, ts)).toContain(`error ${setUp.fails!.code}`);
    }, 180000);
  }
});
