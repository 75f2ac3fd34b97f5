import { expect, it } from "@jest/globals";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { track } from "./peers.js";

// Issue 18: a streamed body passes end to end in bounded memory. A client process streams BYTES to
// a server process whose handler streams them straight back, and both report their peak RSS.
// CI runs 256 MiB; TCHANNEL_STREAM_TEST_BYTES=1073741824 runs the 1 GiB case of the issue.
// Measured (Node 20, 256 MiB and 1 GiB alike): ~105 MiB per process, of which ~60 MiB is a process
// that only imports @tchannel/channel and ~40 MiB ArrayBuffers (read chunks) waiting for V8's next
// GC, which external memory triggers every ~64 MiB allocated. The bound below is what must hold
// whatever the body's size (it would be crossed by a 256 MiB body held whole), with room for
// the other supported Nodes: on Node 24.22.3 the client peaked at 155 MiB (a bigger heap and
// baseline than Node 20's); the issue's 100 MB target is not met by that ~5% on Node 20. At 1 GiB
// on Node 24.22.3: 176 MiB client, 170 MiB server, of which up to ~75 MiB is ArrayBuffers no one
// holds, waiting for a mark-compact (ARCHITECTURE.md, "Streamed bodies"). A bare net echo of the
// same bytes (fixtures/bare-stream-peer.mjs, run and reported beside ours) peaks at 145 MiB client,
// 134 MiB server on Node 24.22.3 at 1 GiB: the 100 MB is below what Node itself reaches.
const BYTES = Number(process.env.TCHANNEL_STREAM_TEST_BYTES ?? 256 * 1024 * 1024);
const PEER = join(__dirname, "..", "fixtures", "stream-peer.mjs");
const BARE_PEER = join(__dirname, "..", "fixtures", "bare-stream-peer.mjs");
const RSS_LIMIT_MIB = 200;

function lines(child: ReturnType<typeof spawn>): () => Promise<string> {
  const queue: string[] = [];
  let waiting: ((line: string) => void) | undefined;
  let ended = false;
  const rl = createInterface({ input: child.stdout! });
  rl.on("line", (line) => {
    if (waiting) {
      const w = waiting;
      waiting = undefined;
      w(line);
    } else queue.push(line);
  });
  rl.on("close", () => {
    ended = true;
    waiting?.("");
  });
  return () => (queue.length > 0 ? Promise.resolve(queue.shift()!) : ended ? Promise.resolve("") : new Promise((resolve) => (waiting = resolve)));
}

interface RunResult {
  bytes: number;
  seconds: number;
  match: boolean;
  clientRss: number;
  serverRss: number;
  stderr: string;
}

/** Runs `script`'s server and client processes (stream-peer.mjs's command line) over BYTES. */
async function run(script: string): Promise<RunResult> {
  let stderr = "";
  const server = spawn(process.execPath, [script, "server"], { stdio: ["pipe", "pipe", "pipe"] });
  track(server);
  server.stderr!.on("data", (d) => (stderr += d));
  const serverLine = lines(server);
  const listening = await serverLine();
  expect(listening).toMatch(/^LISTENING /);
  const hostPort = listening.slice("LISTENING ".length);
  const client = spawn(process.execPath, [script, "client", hostPort, String(BYTES)], { stdio: ["ignore", "pipe", "pipe"] });
  track(client);
  client.stderr!.on("data", (d) => (stderr += d));
  const result = JSON.parse(await lines(client)()) as { bytes: number; seconds: number; maxRssMiB: number; match: boolean };
  server.stdin!.write("end\n");
  const { maxRssMiB: serverRss } = JSON.parse(await serverLine()) as { maxRssMiB: number };
  return { bytes: result.bytes, seconds: result.seconds, match: result.match, clientRss: result.maxRssMiB, serverRss, stderr };
}

const describeRun = (r: RunResult) => `${r.bytes} bytes each way in ${r.seconds.toFixed(1)} s (${(r.bytes / r.seconds / 1e6).toFixed(0)} MB/s); peak RSS client ${r.clientRss.toFixed(0)} MiB, server ${r.serverRss.toFixed(0)} MiB`;

it(`a ${BYTES / 1024 / 1024} MiB streamed body goes through and back with peak RSS under ${RSS_LIMIT_MIB} MiB per process`, async () => {
  const ours = await run(PEER);
  expect(ours.stderr).toBe("");
  // The floor, reported beside ours: the same bytes through a bare net echo (nothing imported).
  const bare = await run(BARE_PEER);
  // Reported, not asserted (the machine may be shared).
  console.log(`streamed ${describeRun(ours)}\nbare net echo (the floor): ${describeRun(bare)}`);
  expect(bare.match).toBe(true);
  expect(ours.match).toBe(true);
  expect(ours.clientRss).toBeLessThan(RSS_LIMIT_MIB);
  expect(ours.serverRss).toBeLessThan(RSS_LIMIT_MIB);
}, 600_000);
