// The round trip the README's first command shows: start the server, run the client against it,
// stop the server.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const node = process.execPath;
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

const server = spawn(node, [here("./server-main.js")], { stdio: ["ignore", "pipe", "inherit"] });
const hostPort = await new Promise<string>((resolve, reject) => {
  let out = "";
  const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 15_000);
  server.stdout.on("data", (chunk: Buffer) => {
    out += chunk;
    const m = /Listening on (\S+)/.exec(out);
    if (m) {
      clearTimeout(timer);
      console.log(`server: Listening on ${m[1]}`);
      resolve(m[1]!);
    }
  });
  server.once("exit", (code) => reject(new Error(`server exited with ${code}: ${out}`)));
});

const client = spawn(node, [here("./client-main.js"), "--peer", hostPort, "--missing", "bar"], { stdio: ["ignore", "pipe", "inherit"] });
let pending = "";
client.stdout.on("data", (chunk: Buffer) => {
  const lines = (pending + chunk.toString()).split("\n");
  pending = lines.pop()!;
  for (const line of lines) console.log(`client: ${line}`);
});
const code = await new Promise<number>((resolve) => client.once("close", (c) => resolve(c ?? 1)));
if (pending) console.log(`client: ${pending}`);
server.kill("SIGTERM");
await new Promise((resolve) => server.once("exit", resolve));
console.log(code === 0 ? "demo: round trip complete" : `demo: client failed with exit code ${code}`);
process.exit(code);
