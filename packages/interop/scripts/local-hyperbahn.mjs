#!/usr/bin/env node
// A local Hyperbahn mesh for trying the README's Hyperbahn steps: installs Uber's Hyperbahn 2.20.1
// (install-peers.sh hyperbahn, once, ~30 s), starts N routers on 127.0.0.1 in one ringpop ring
// (on the peers' pinned Node, see install-peers.sh, whatever Node runs this script),
// writes their host list (the JSON array `--router-file` and `tcurl -P` read), prints
// `Hyperbahn routers: ...` and runs until SIGINT/SIGTERM, which stops every router.
//
//   node local-hyperbahn.mjs [--ports 21300,21301] [--hosts-file hyperbahn-hosts.json] [--reap-ms 0]
import { spawn, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const here = dirname(fileURLToPath(import.meta.url));
const hyperbahnDir = join(here, "..", "peers", "hyperbahn");
const args = process.argv.slice(2);
const { values } = parseArgs({
  args: args[0] === "--" ? args.slice(1) : args,
  options: { ports: { type: "string", default: "21300,21301" }, "hosts-file": { type: "string", default: "hyperbahn-hosts.json" }, "reap-ms": { type: "string", default: "0" } },
});
const ports = values.ports.split(",").map(Number);
if (ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) {
  console.error(`--ports wants port[,port...], got ${values.ports}`);
  process.exit(2);
}
const routers = ports.map((p) => `127.0.0.1:${p}`);

const install = spawnSync("bash", [join(here, "install-peers.sh"), "hyperbahn"], { stdio: ["ignore", "inherit", "inherit"] });
if (install.status !== 0) process.exit(install.status ?? 1);
// The routers run on the peers' pinned Node (Hyperbahn 2.20.1 does not run on Node 23+).
const peersNode = spawnSync("bash", [join(here, "install-peers.sh"), "node"], { stdio: ["ignore", "pipe", "inherit"], encoding: "utf8" });
if (peersNode.status !== 0) process.exit(peersNode.status ?? 1);
const node = peersNode.stdout.trim();

const children = routers.map((_, i) =>
  spawn(node, [join(hyperbahnDir, "hb-server.js"), "--port", String(ports[i]), "--bootstrap", routers.join(","), "--reap-ms", values["reap-ms"]], {
    cwd: hyperbahnDir,
    stdio: ["ignore", "pipe", "pipe"],
  }),
);
let stopping = false;
const stop = (code) => {
  stopping = true;
  for (const c of children) c.kill("SIGTERM");
  Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once("exit", r)) : undefined))).then(() => process.exit(code));
};
process.once("SIGINT", () => stop(0));
process.once("SIGTERM", () => stop(0));

const ready = children.map(
  (child, i) =>
    new Promise((resolveReady, reject) => {
      let out = "";
      let err = "";
      child.stderr.on("data", (d) => {
        err = (err + d).slice(-4000);
      });
      child.stdout.on("data", (d) => {
        out += d;
        if (out.includes("LISTENING")) resolveReady();
      });
      child.once("exit", (code) => {
        if (!stopping) reject(new Error(`router ${routers[i]} exited with ${code}:\n${err}`));
      });
    }),
);
const timer = setTimeout(() => {
  console.error("local-hyperbahn: the routers did not start within 60 s");
  stop(1);
}, 60_000);
try {
  await Promise.all(ready);
} catch (e) {
  console.error(`local-hyperbahn: ${e.message}`);
  stop(1);
}
clearTimeout(timer);
const hostsFile = resolve(process.env.INIT_CWD ?? process.cwd(), values["hosts-file"]);
writeFileSync(hostsFile, `${JSON.stringify(routers)}\n`);
console.log(`Hyperbahn routers: ${routers.join(", ")} (host list in ${hostsFile}); Ctrl-C stops them`);
