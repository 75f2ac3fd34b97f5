import { describe, expect, it } from "@jest/globals";
import { importSpecifiers, isRelative, packageOf } from "./dist-imports.js";

describe("importSpecifiers", () => {
  it("finds static, re-export, side-effect, dynamic and require imports, multi-line ones too", () => {
    const source = [
      `import a from "x";`,
      `export { b } from './y.js';`,
      `import {`,
      `  q,`,
      `  r,`,
      `} from "@scope/multi/sub";`,
      `import "side";`,
      `const m = await import("z");`,
      `const c = require("cjs");`,
      `const text = "not an import";`,
    ].join("\n");
    expect(importSpecifiers(source).sort()).toEqual(["./y.js", "@scope/multi/sub", "cjs", "side", "x", "z"]);
  });

  it("names the package of a specifier, and none for Node builtins", () => {
    expect(packageOf("@scope/multi/sub")).toBe("@scope/multi");
    expect(packageOf("crc-32/crc32c.js")).toBe("crc-32");
    expect(packageOf("node:fs")).toBeUndefined();
    expect(packageOf("fs/promises")).toBeUndefined();
    expect(isRelative("./a.js")).toBe(true);
    expect(isRelative("a")).toBe(false);
  });
});
