import { spawnSync } from "node:child_process";
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

  it("removes the temp files of saves killed midway on the next load or save, but not those of a live save or of other cassettes", () => {
    const sub = join(dir, "stale");
    mkdirSync(sub);
    const path = join(sub, "c.yaml");
    // A process that wrote a temp file and was killed before its rename: its pid is gone.
    const killed = spawnSync(process.execPath, ["-e", `require("fs").writeFileSync(${JSON.stringify(join(sub, ".c.yaml."))} + process.pid + ".0badf00d.tmp", "half"); process.kill(process.pid, "SIGKILL")`]);
    expect(killed.signal).toBe("SIGKILL");
    const live = process.ppid; // a save in progress in a process that still runs
    const names = [`.c.yaml.${killed.pid}.0badf00d.tmp`, `.c.yaml.${process.pid}.12345678.tmp`];
    writeFileSync(join(sub, names[1]!), "half");
    writeFileSync(join(sub, `.c.yaml.${live}.abcdef01.tmp`), "in progress");
    writeFileSync(join(sub, `.other.yaml.${killed.pid}.0badf00d.tmp`), "another cassette");
    expect(readdirSync(sub)).toEqual(expect.arrayContaining(names));
    expect(readCassetteFile(path)).toBeUndefined();
    expect(readdirSync(sub).sort()).toEqual([`.c.yaml.${live}.abcdef01.tmp`, `.other.yaml.${killed.pid}.0badf00d.tmp`]);
    writeFileSync(join(sub, names[0]!), "half again");
    writeCassetteFile(path, "x\n");
    expect(readdirSync(sub).sort()).toEqual([`.c.yaml.${live}.abcdef01.tmp`, `.other.yaml.${killed.pid}.0badf00d.tmp`, "c.yaml"]);
  });
});
