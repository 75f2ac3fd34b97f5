// The API reference: TypeDoc over every published package's public index.ts (typedoc.json at the
// root; `pnpm docs:api` writes it to docs/api/). CI builds it here so a TSDoc link or an entry
// point that breaks it fails the tests.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WORKSPACE_ROOT, publishedPackages } from "./published-packages.js";
import { runCommand } from "./run-command.js";

const TYPEDOC = join(WORKSPACE_ROOT, "node_modules", "typedoc", "bin", "typedoc");

let out: string;
let log: string;

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), "tchannel-e2e-api-"));
  const { stdout, stderr } = await runCommand(process.execPath, [TYPEDOC, "--out", out], { cwd: WORKSPACE_ROOT, timeoutMs: 300000 });
  log = stdout + stderr;
}, 320000);

afterAll(async () => {
  if (out) await rm(out, { recursive: true, force: true });
});

describe("the API reference (TypeDoc)", () => {
  it("builds without errors", () => {
    expect(log).toMatch(/Found 0 errors/);
    expect(existsSync(join(out, "index.html"))).toBe(true);
  });

  it("has a page for every published package, listed in typedoc.json", async () => {
    const config = JSON.parse(readFileSync(join(WORKSPACE_ROOT, "typedoc.json"), "utf8")) as { entryPoints: string[] };
    const published = await publishedPackages();
    const pages = readdirSync(join(out, "modules"));
    for (const pkg of published) {
      const dir = pkg.dir.slice(pkg.dir.lastIndexOf("packages")).split("\\").join("/");
      expect(`${pkg.name}: ${config.entryPoints.includes(dir) ? "listed" : "not in typedoc.json"}`).toBe(`${pkg.name}: listed`);
      const page = `${pkg.name.replace(/^@/, "_").replace(/[/-]/g, (c) => (c === "/" ? "_" : c))}.html`;
      expect(`${pkg.name}: ${pages.includes(page) ? "has a page" : `no ${page}`}`).toBe(`${pkg.name}: has a page`);
    }
  });

  it("carries the TSDoc of the sources (TChannel's class page has its summary)", () => {
    const classes = readdirSync(join(out, "classes"));
    const tchannel = classes.find((file) => /^_tchannel_channel\..*TChannel\.html$/.test(file));
    expect(tchannel).toBeDefined();
    const html = readFileSync(join(out, "classes", tchannel!), "utf8");
    expect(html).toMatch(/tsd-comment/);
  });
});
