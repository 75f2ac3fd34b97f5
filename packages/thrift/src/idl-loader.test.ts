// Loading IDLs as real services write them: one include resolution for load and loadSync
// (aliases, comments, relative paths only), lower-case names, and errors that say file:line:col.
import { afterAll, describe, expect, it } from "@jest/globals";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { InvalidArgumentError } from "@tchannel/channel";
import { ThriftLoadError } from "./thrift-errors.js";
import { MODULE_INFO, type ModuleInfo, loadThrift, loadThriftSource, loadThriftSync } from "./thrift-module.js";

const fixtures = join(__dirname, "..", "test", "fixtures");
const loader = join(fixtures, "loader");
/** How errors show a file: relative to the current directory. */
const shown = (file: string) => relative(process.cwd(), join(loader, file));
const tmp = mkdtempSync(join(tmpdir(), "thrift-loader-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Loads with both loaders; both must fail alike. */
async function loadError(file: string): Promise<ThriftLoadError> {
  let sync: unknown;
  try {
    loadThriftSync(join(loader, file));
  } catch (err) {
    sync = err;
  }
  const async = await loadThrift(join(loader, file)).catch((e) => e);
  expect(sync).toBeInstanceOf(ThriftLoadError);
  expect(async).toBeInstanceOf(ThriftLoadError);
  expect((async as Error).message).toBe((sync as Error).message);
  return sync as ThriftLoadError;
}

describe("include resolution, the same for load and loadSync", () => {
  it("follows aliased includes, ignores includes in comments, and loads lower-case enums", async () => {
    const sync = loadThriftSync(join(loader, "aliased.thrift"), { service: "days" });
    const async = await loadThrift(join(loader, "aliased.thrift"), { service: "days" });
    for (const m of [sync, async]) {
      expect(m.weekdays).toEqual({ MONDAY: "MONDAY", TUESDAY: "TUESDAY" });
      expect(new m.Day({})).toMatchObject({ day: "TUESDAY" });
      expect(new m.common.Fine({ a: 1 })).toMatchObject({ a: 1 });
      expect(m.Days.next({ day: "MONDAY" }).method.endpoint).toBe("Days::next");
    }
    const infoOf = (m: object) => (m as Record<symbol, ModuleInfo>)[MODULE_INFO]!;
    expect(Object.keys(infoOf(async).idls).sort()).toEqual(Object.keys(infoOf(sync).idls).sort());
    expect(infoOf(async).entryPoint).toBe(infoOf(sync).entryPoint);
    expect(Object.keys(infoOf(sync).idls).sort()).toEqual(["aliased.thrift", "parts/fine.thrift"]);
  });

  it("loads the Cadence-sized set (includes of includes, aliases, a service extending an included one)", async () => {
    const admin = await loadThrift(join(fixtures, "cadence-like", "admin.thrift"));
    expect(admin.AdminService.DescribeHistory({ execution: { workflowId: "w" } }).method.endpoint).toBe("AdminService::DescribeHistory");
    expect(admin.AdminService.StartWorkflowExecution({}).method.endpoint).toBe("AdminService::StartWorkflowExecution");
    expect(admin.s.WorkflowExecutionCloseStatus.TIMED_OUT).toBe("TIMED_OUT");
    expect(admin.s.c.weekdays.MONDAY).toBe("MONDAY");
  });

  it("refuses an absolute include path, at the include", async () => {
    const target = join(loader, "parts", "fine.thrift");
    writeFileSync(join(tmp, "absolute.thrift"), `// absolute\ninclude "${target}"\nstruct A { 1: optional i32 a }\n`);
    const err = await loadThrift(join(tmp, "absolute.thrift")).catch((e) => e);
    expect(err).toBeInstanceOf(ThriftLoadError);
    expect(err.message).toMatch(/absolute\.thrift:2:1: include paths must be relative to the including file/);
    expect(() => loadThriftSync(join(tmp, "absolute.thrift"))).toThrow(/include paths must be relative/);
  });

  it("names the include line of a missing included file, and the file of a missing root", async () => {
    const err = await loadError("missing-include.thrift");
    expect(err.message).toBe(`${shown("missing-include.thrift")}:2:1: cannot read the included file ${shown("parts/not_there.thrift")}: no such file`);
    await expect(loadThrift(join(loader, "nope.thrift"))).rejects.toThrow(/cannot read .*nope\.thrift: no such file/);
  });

  it("asks for an alias when an included file's name is not an identifier", async () => {
    const err = await loadError("bad-include-name.thrift");
    expect(err.message).toMatch(/bad-include-name\.thrift:1:1: the included file name "my-file" is not a Thrift identifier/);
  });
});

describe("load errors name the file, line and column", () => {
  it("a syntax error in the root file", async () => {
    const err = await loadError("root-syntax.thrift");
    expect(err.message).toMatch(new RegExp(`^${escape(shown("root-syntax.thrift"))}:5:4: syntax error: `));
    expect(err.file).toBe(shown("root-syntax.thrift"));
    expect([err.line, err.column]).toEqual([5, 4]);
  });

  it("a syntax error in an include", async () => {
    const err = await loadError("include-syntax.thrift");
    expect(err.message).toMatch(new RegExp(`^${escape(shown("parts/syntax_error.thrift"))}:4:11: syntax error: `));
  });

  it("an unresolved reference in an include, and in the root", async () => {
    expect((await loadError("include-unresolved.thrift")).message).toBe(`${shown("parts/unresolved.thrift")}:3:20: cannot resolve reference to Missing`);
    expect((await loadError("root-unresolved.thrift")).message).toBe(`${shown("root-unresolved.thrift")}:5:15: cannot resolve reference to fine.Nope`);
  });

  it("duplicate field ids (undecodable) in a struct, in a method's arguments, in an include's exception", async () => {
    expect((await loadError("duplicate-ids.thrift")).message).toBe(`${shown("duplicate-ids.thrift")}:4:3: duplicate field id 2 in Event: where and at`);
    expect((await loadError("duplicate-args.thrift")).message).toBe(`${shown("parts/duplicate_in_include.thrift")}:3:3: duplicate field id 1 in E: code and message`);
    expect(() => loadThriftSource("service S {\n  void f(1: string a, 1: string b)\n}\n")).toThrow(/service\.thrift:2:23: duplicate field id 1 in the arguments of S\.f: b and a/);
  });

  it("thriftrw's own assertions and errors, never a bare TypeError", async () => {
    for (const [file, message] of [
      ["enum-duplicate.thrift", /enum-duplicate\.thrift:1:6: duplicate name in enum E/],
      ["extends-unknown.thrift", /extends-unknown\.thrift:1:19: cannot resolve reference to Nope/],
      ["const-mismatch.thrift", /const-mismatch\.thrift:2:13: cannot resolve reference to Y/],
    ] as const) {
      const err = await loadError(file);
      expect(err).not.toBeInstanceOf(TypeError);
      expect(err.message).toMatch(message);
    }
  });
});

describe("loading without options", () => {
  it("works, and requests go to the service named after the file", async () => {
    const kv = await loadThrift(join(fixtures, "keyvalue.thrift"));
    expect(kv.KeyValue.getValue({ key: "k" }).service).toBe("keyvalue");
    expect(loadThriftSync(join(fixtures, "keyvalue.thrift")).KeyValue.getValue({ key: "k" }).service).toBe("keyvalue");
    expect(loadThriftSync(join(fixtures, "keyvalue.thrift"), { service: "kv" }).KeyValue.getValue({ key: "k" }).service).toBe("kv");
    expect(() => loadThriftSync(join(fixtures, "keyvalue.thrift"), { service: "" })).toThrow(InvalidArgumentError);
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
