// The package README's TypeScript blocks are real programs: each type-checks with strict, as its
// own ES module (so top-level await is allowed), against this package's sources.
import { describe, expect, it } from "@jest/globals";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const pkg = join(__dirname, "..");
const tsc = join(pkg, "..", "..", "node_modules", ".bin", "tsc");
const dir = join(pkg, "test", ".readme-tmp");

describe("packages/thrift/README.md", () => {
  it("has TypeScript blocks that type-check with strict", () => {
    const blocks = [...readFileSync(join(pkg, "README.md"), "utf8").matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const files = blocks.map((code, i) => {
      // .mts: an ES module without a package.json of its own (which would hide this package's name).
      writeFileSync(join(dir, `block${i}.mts`), `${code}\nexport {};\n`);
      return `block${i}.mts`;
    });
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        extends: "../../../../tsconfig.base.json",
        compilerOptions: { noEmit: true, strict: true, customConditions: ["@tchannel/source"], types: ["node"] },
        files,
      }),
    );
    try {
      execFileSync(tsc, ["-p", join(dir, "tsconfig.json")], { encoding: "utf8" });
    } catch (err) {
      throw new Error(`tsc failed:\n${(err as { stdout: string }).stdout}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
