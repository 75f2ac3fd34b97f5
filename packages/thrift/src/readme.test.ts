// The package README's TypeScript blocks are real programs: each type-checks with strict, as its
// own ES module (so top-level await is allowed), against this package's sources.
import { describe, expect, it } from "@jest/globals";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { typecheckProject } from "../test/typecheck-project.js";

const pkg = join(__dirname, "..");

describe("packages/thrift/README.md", () => {
  it("has TypeScript blocks that type-check with strict", () => {
    const blocks = [...readFileSync(join(pkg, "README.md"), "utf8").matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    // .mts: an ES module without a package.json of its own (which would hide this package's name).
    const files = Object.fromEntries(blocks.map((code, i) => [`block${i}.mts`, `${code}\nexport {};\n`]));
    typecheckProject(join(pkg, "test", ".readme-tmp"), files, Object.keys(files), { strict: true });
  }, 120_000);
});
