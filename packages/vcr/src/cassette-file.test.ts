import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "@jest/globals";
import { readCassetteFile, writeCassetteFile } from "./cassette-file.js";

const dir = mkdtempSync(join(tmpdir(), "vcr-file-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("cassette files", () => {
  it("reads undefined for a missing file", () => {
    expect(readCassetteFile(join(dir, "missing.yaml"))).toBeUndefined();
  });

  it("writes into directories it creates, replaces the old file, and leaves no temporary file", () => {
    const path = join(dir, "a", "b", "c.yaml");
    writeCassetteFile(path, "one\n");
    writeCassetteFile(path, "two\n");
    expect(readFileSync(path, "utf8")).toBe("two\n");
    expect(readdirSync(join(dir, "a", "b"))).toEqual(["c.yaml"]);
  });

  it("a write that fails leaves the old cassette whole and cleans up its temporary file", () => {
    // The rename cannot replace a non-empty directory: the failure comes after the data was written.
    const path = join(dir, "blocked.yaml");
    mkdirSync(path);
    writeFileSync(join(path, "keep"), "x");
    expect(() => writeCassetteFile(path, "new\n")).toThrow();
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    expect(readFileSync(join(path, "keep"), "utf8")).toBe("x");
  });
});
