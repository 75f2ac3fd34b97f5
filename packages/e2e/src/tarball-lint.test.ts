// Two well-kept linters over the exact tarballs `pnpm publish` would upload: publint (manifest,
// exports, files) and @arethetypeswrong/cli (what each TypeScript resolution mode sees).
//
// One rule of attw is off: cjs-resolves-to-esm ("node16 (from CJS)": a require() that resolves to
// ESM). The packages are ESM only, on purpose; Node >= 20.19 (our engines floor) loads them with
// require(), and TypeScript allows that under `module: nodenext` (5.8+) or `node20` (5.9+). The
// import matrix (import-matrix.test.ts) proves both, and the README says why node16 is not supported.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { declaredPackages } from "./declared-packages.js";
import { type PackedPackage, packAll } from "./pack.js";
import { packageBin } from "./package-bin.js";
import { runCommand } from "./run-command.js";

let destination: string;
let packed: PackedPackage[];

beforeAll(async () => {
  destination = await mkdtemp(join(tmpdir(), "tchannel-e2e-lint-"));
  packed = [...(await packAll((await declaredPackages()).packable, destination)).values()];
});

afterAll(async () => {
  if (destination) await rm(destination, { recursive: true, force: true });
});

async function lintEach(file: string, args: (tarball: string) => string[]): Promise<string[]> {
  const failures: string[] = [];
  // One at a time: each run is a short Node process, and the machine may be busy with other tests.
  for (const pkg of packed) {
    try {
      await runCommand(process.execPath, [file, ...args(pkg.tarball)], { cwd: destination, timeoutMs: 60000 });
    } catch (err) {
      failures.push(`${pkg.name}: ${(err as Error).message}`);
    }
  }
  return failures;
}

describe("the packed tarballs", () => {
  it("pass publint --strict (suggestions and warnings fail too)", async () => {
    expect(packed.length).toBeGreaterThanOrEqual(9);
    expect(await lintEach(packageBin("publint", "publint"), (tarball) => ["run", tarball, "--strict", "--level", "suggestion"])).toEqual([]);
  });

  it("pass @arethetypeswrong/cli in every resolution mode (node10, node16 from CJS and ESM, bundler)", async () => {
    expect(
      await lintEach(packageBin("@arethetypeswrong/cli", "attw"), (tarball) => [tarball, "--ignore-rules", "cjs-resolves-to-esm", "--format", "ascii"]),
    ).toEqual([]);
  });
});
