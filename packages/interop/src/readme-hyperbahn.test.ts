import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ensureHyperbahnInstalled, pickFreePorts } from "./hyperbahn.js";
import { PACKAGE_DIR } from "./peers.js";

// The README's Hyperbahn section, run as written (with free ports and a temp host list instead of
// 21300/21301 and ./hyperbahn-hosts.json): `pnpm hyperbahn` starts two local routers, the keyvalue
// server advertises with --router-file, the client and our tcurl call it through the routers.
// Runs the built programs (apps/keyvalue/dist, packages/tcurl/dist): turbo builds them first.

const ROOT = resolve(PACKAGE_DIR, "..", "..");
const APP = join(ROOT, "apps", "keyvalue");
const TCURL = join(ROOT, "packages", "tcurl", "dist", "cli.js");
const dir = mkdtempSync(join(tmpdir(), "readme-hyperbahn-"));
const hostsFile = join(dir, "hyperbahn-hosts.json");
const children: ChildProcess[] = [];

/** Starts a program and resolves with the first stdout line matching `ready`. */
function start(args: string[], ready: RegExp, timeoutMs: number): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  return new Promise((resolveStart, reject) => {
    let out = "";
    let err = "";
    const timer = setTimeout(() => reject(new Error(`${args[0]} did not print ${ready} within ${timeoutMs} ms:\n${out}\n${err.slice(-3000)}`)), timeoutMs);
    child.stderr!.on("data", (d) => {
      err += d;
    });
    child.stdout!.on("data", (d) => {
      out += d;
      const m = ready.exec(out);
      if (m) {
        clearTimeout(timer);
        resolveStart({ child, match: m });
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${args[0]} exited with ${code}:\n${out}\n${err.slice(-3000)}`));
    });
  });
}

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolveRun) => {
    execFile(process.execPath, args, { cwd: ROOT, timeout: 30_000 }, (error, stdout, stderr) => {
      resolveRun({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

function stopped(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((r) => child.once("exit", (code) => r(code)));
}

beforeAll(() => {
  ensureHyperbahnInstalled();
}, 900_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGTERM");
  await Promise.all(children.map(stopped));
}, 30_000);

describe("the README's Hyperbahn section", () => {
  it("pnpm hyperbahn, then the keyvalue server and client with --router-file, then tcurl -P", async () => {
    const ports = await pickFreePorts(2);
    const mesh = await start([join(PACKAGE_DIR, "scripts", "local-hyperbahn.mjs"), "--ports", ports.join(","), "--hosts-file", hostsFile], /Hyperbahn routers: /, 120_000);
    expect(JSON.parse(readFileSync(hostsFile, "utf8"))).toEqual(ports.map((p) => `127.0.0.1:${p}`));

    const server = await start([join(APP, "dist", "server-main.js"), "--router-file", hostsFile], /Advertised on Hyperbahn/, 30_000);
    expect(server.match.input).toMatch(/Listening on 127\.0\.0\.1:\d+/);

    const client = await run([join(APP, "dist", "client-main.js"), "--router-file", hostsFile, "--missing", "bar"]);
    expect(client.stderr).toBe("");
    expect(client.stdout).toContain('getValue("foo") -> "Hello, world!"');
    expect(client.stdout).toContain('getValue("bar") -> NotFoundError');
    expect(client.code).toBe(0);

    const idl = join(APP, "thrift", "keyvalue.thrift");
    const get = await run([TCURL, "-P", hostsFile, "-t", idl, "keyvalue-server", "KeyValue::getValue", "-3", '{"key": "foo"}']);
    expect(get).toMatchObject({ code: 0, stdout: '"Hello, world!"\n' });
    const health = await run([TCURL, "-P", hostsFile, "keyvalue-server", "--health"]);
    expect(health.code).toBe(0);

    // Ctrl-C on the server unadvertises and exits cleanly.
    server.child.kill("SIGINT");
    expect(await stopped(server.child)).toBe(0);
    const gone = await run([TCURL, "-P", hostsFile, "-t", idl, "keyvalue-server", "KeyValue::getValue", "-3", '{"key": "foo"}']);
    expect(gone.code).toBe(4); // Declined: no peer available for request
    mesh.child.kill("SIGINT");
    expect(await stopped(mesh.child)).toBe(0);
  }, 180_000);
});
