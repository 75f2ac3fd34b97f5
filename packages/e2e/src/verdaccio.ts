// A real npm registry on 127.0.0.1 for the release rehearsal: Verdaccio, installed from npm once
// into a cache folder (not a workspace dependency: it is large and only this test needs it),
// started on a free port with its storage in a temporary folder. Packages of ours are served only
// from that storage; everything else is proxied to the registry npm is configured with.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { runCommand } from "./run-command.js";
import { userEnv } from "./user-project.js";

/** 6.8.0 is the last Verdaccio that runs on Node 20 (6.9+ want 22); it runs on 22, 24 and 26 too. */
export const VERDACCIO_VERSION = "6.8.0";

/** `$TCHANNEL_E2E_CACHE`, else `$XDG_CACHE_HOME/tchannel-ts-e2e`, else `~/.cache/tchannel-ts-e2e`. */
export function e2eCacheDir(): string {
  return process.env.TCHANNEL_E2E_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "tchannel-ts-e2e");
}

/** Installs Verdaccio into the cache unless it is there; returns the path of its bin script. */
export async function installVerdaccio(): Promise<string> {
  const dir = join(e2eCacheDir(), `verdaccio-${VERDACCIO_VERSION}`);
  const bin = join(dir, "node_modules", "verdaccio", "bin", "verdaccio");
  if (existsSync(bin)) return bin;
  await mkdir(e2eCacheDir(), { recursive: true });
  // Installed beside the final folder and renamed into place: an interrupted install leaves no
  // half-filled cache behind.
  const staging = await mkdtemp(join(e2eCacheDir(), `verdaccio-${VERDACCIO_VERSION}-installing-`));
  try {
    await writeFile(join(staging, "package.json"), JSON.stringify({ private: true }));
    await runCommand("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", `verdaccio@${VERDACCIO_VERSION}`], {
      cwd: staging,
      env: userEnv(),
      timeoutMs: 600000,
    });
    await rename(staging, dir).catch(async (err: NodeJS.ErrnoException) => {
      if (!existsSync(bin)) throw err; // else another run installed it meanwhile
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return bin;
}

export interface Registry {
  /** "http://127.0.0.1:<port>/" */
  url: string;
  /** An auth token of a user allowed to publish. */
  token: string;
  /** The lines of an .npmrc that point npm and pnpm at this registry, logged in. */
  npmrc: string;
  /** The versions of a package the registry has (none: []). */
  versions(name: string): Promise<string[]>;
  output(): string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function upstreamRegistry(): Promise<string> {
  const { stdout } = await runCommand("npm", ["config", "get", "registry"], { cwd: tmpdir(), env: userEnv(), timeoutMs: 60000 });
  return stdout.trim() || "https://registry.npmjs.org/";
}

const OURS = ["@tchannel/*", "@tchannel-internal/*", "tchannel-ts"];

export async function startVerdaccio(bin: string): Promise<Registry> {
  const home = await mkdtemp(join(tmpdir(), "tchannel-e2e-verdaccio-"));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const upstream = await upstreamRegistry();
  const packages = [
    ...OURS.map((pattern) => `  '${pattern}':\n    access: $all\n    publish: $authenticated`),
    `  '**':\n    access: $all\n    publish: $authenticated\n    proxy: upstream`,
  ].join("\n");
  await writeFile(
    join(home, "config.yaml"),
    [
      `storage: ${join(home, "storage")}`,
      `auth:\n  htpasswd:\n    file: ${join(home, "htpasswd")}\n    max_users: 10`,
      `uplinks:\n  upstream:\n    url: ${upstream}\n    timeout: 60s\n    max_fails: 10`,
      `packages:\n${packages}`,
      `web:\n  enable: false`,
      `log: { type: stdout, format: pretty, level: warn }`,
      "",
    ].join("\n"),
  );

  const child: ChildProcess = spawn(process.execPath, [bin, "--config", join(home, "config.yaml"), "--listen", `127.0.0.1:${port}`], {
    cwd: home,
    env: userEnv(),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    }
    await rm(home, { recursive: true, force: true });
  };

  try {
    const deadline = Date.now() + 120000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`verdaccio exited with ${child.exitCode}`);
      const ok = await fetch(`${url}-/ping`).then((res) => res.ok, () => false);
      if (ok) break;
      if (Date.now() > deadline) throw new Error("verdaccio did not answer /-/ping within 120 s");
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    // A user (Verdaccio's htpasswd plugin registers on first login), as `npm adduser` does.
    const res = await fetch(`${url}-/user/org.couchdb.user:e2e`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "e2e", password: "e2e-password", type: "user", roles: [], date: new Date().toISOString() }),
    });
    const body = (await res.json()) as { token?: string };
    if (!res.ok || !body.token) throw new Error(`adduser failed: ${res.status} ${JSON.stringify(body)}`);
    const token = body.token;
    const hostPath = url.replace(/^https?:/, "");
    return {
      url,
      token,
      npmrc: `registry=${url}\n${hostPath}:_authToken=${token}\n`,
      async versions(name) {
        const info = await fetch(`${url}${name.replace("/", "%2f")}`, { headers: { authorization: `Bearer ${token}` } });
        if (info.status === 404) return [];
        const doc = (await info.json()) as { versions?: Record<string, unknown> };
        return Object.keys(doc.versions ?? {});
      },
      output: () => output,
      stop,
    };
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n--- verdaccio output\n${output}`);
  }
}

/** Reads a JSON file. */
export async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, "utf8")) as T;
}
