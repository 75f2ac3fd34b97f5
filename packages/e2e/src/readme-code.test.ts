// The READMEs' code, so the guide cannot rot: every TypeScript block (root README and every package
// README) is type-checked with `strict` against the built packages, as a user's code would be;
// the guide's IDL is the example app's; and the shell commands name scripts and files that exist.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { E2E_DIR, WORKSPACE_ROOT } from "./published-packages.js";
import { fencedBlocks, readmeModules } from "./readme-blocks.js";
import { CommandFailedError, runCommand } from "./run-command.js";

const READMES = [
  join(WORKSPACE_ROOT, "README.md"),
  ...["packages", "apps"].flatMap((parent) =>
    readdirSync(join(WORKSPACE_ROOT, parent)).map((name) => join(WORKSPACE_ROOT, parent, name, "README.md")),
  ),
].filter((path) => existsSync(path));

const TSC = join(dirname(require.resolve("typescript/package.json")), "bin", "tsc");

let dir: string;
const files = new Map<string, string>(); // module file -> "README path:line"

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tchannel-e2e-readme-"));
  // The e2e package's node_modules: tchannel-ts, every @tchannel package (built: dist .d.ts) and
  // what the READMEs import besides (the OpenTelemetry SDK packages, as devDependencies).
  await symlink(join(E2E_DIR, "node_modules"), join(dir, "node_modules"), "dir");
  await writeFile(join(dir, "package.json"), JSON.stringify({ name: "readme-code", private: true, type: "module" }));
  for (const readme of READMES) {
    const label = relative(WORKSPACE_ROOT, readme);
    const modules = readmeModules(readFileSync(readme, "utf8"));
    for (const [index, module] of modules.entries()) {
      const file = `${label.replace(/[/.]/g, "_")}_${index + 1}.ts`;
      files.set(file, `${label}:${module.line}`);
      await writeFile(join(dir, file), `// ${label}, the block at line ${module.line}\n${module.source}export {};\n`);
    }
  }
  await writeFile(
    join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "es2022",
        lib: ["es2023"],
        module: "nodenext",
        moduleResolution: "nodenext",
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: ["node", "jest"],
        typeRoots: [join(WORKSPACE_ROOT, "node_modules", "@types")],
      },
      files: [...files.keys()],
    }),
  );
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("the READMEs", () => {
  it("have TypeScript blocks, in the root README and in each published package's", () => {
    const labels = [...files.values()].map((label) => label.split(":")[0]);
    expect(labels).toEqual(expect.arrayContaining(["README.md", "packages/tchannel/README.md", "packages/channel/README.md", "packages/frame/README.md", "packages/json/README.md", "packages/thrift/README.md"]));
  });

  it("type-check every TypeScript block with strict, against the built packages", async () => {
    let output = "";
    try {
      await runCommand(process.execPath, [TSC, "-p", "tsconfig.json"], { cwd: dir, timeoutMs: 170000 });
    } catch (err) {
      if (!(err instanceof CommandFailedError)) throw err;
      output = err.stdout + err.stderr;
    }
    // Name the README block of each error.
    const errors = output
      .split("\n")
      .filter((line) => /error TS\d+/.test(line))
      .map((line) => line.replace(/^(\S+?\.ts)\((\d+),(\d+)\)/, (_m, file: string, row: string) => `${files.get(file) ?? file} (+${Number(row) - 1})`));
    expect(errors).toEqual([]);
  }, 180000);

  it("show the example app's IDL as the guide's IDL", () => {
    const idl = readFileSync(join(WORKSPACE_ROOT, "apps", "keyvalue", "thrift", "keyvalue.thrift"), "utf8");
    const blocks = fencedBlocks(readFileSync(join(WORKSPACE_ROOT, "README.md"), "utf8"), "thrift");
    expect(blocks.length).toBeGreaterThan(0);
    const squash = (text: string) => text.replace(/\/\/.*$/gm, "").replace(/\s+/g, " ").trim();
    expect(squash(idl)).toContain(squash(blocks[0]!));
  });

  it("run only root scripts, scripts/ files and apps that exist in their shell blocks", () => {
    const scripts = (JSON.parse(readFileSync(join(WORKSPACE_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
    const problems: string[] = [];
    for (const readme of READMES) {
      for (const block of fencedBlocks(readFileSync(readme, "utf8"), "sh")) {
        for (const line of block.split("\n")) {
          const command = line.replace(/#.*$/, "").trim();
          const pnpmScript = /^pnpm (?:run )?([\w:-]+)/.exec(command)?.[1];
          if (pnpmScript && readme === READMES[0] && !["install", "add", "exec", "changeset", "build", "test", "typecheck"].includes(pnpmScript) && !(pnpmScript in scripts)) {
            problems.push(`${relative(WORKSPACE_ROOT, readme)}: pnpm ${pnpmScript} is not a root script`);
          }
          const bashScript = /^bash (\S+)/.exec(command)?.[1];
          if (bashScript && !existsSync(join(WORKSPACE_ROOT, bashScript))) problems.push(`${relative(WORKSPACE_ROOT, readme)}: ${bashScript} does not exist`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});
