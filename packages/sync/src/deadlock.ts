import { readFileSync, readdirSync, readlinkSync } from "node:fs";
import { networkInterfaces } from "node:os";

/**
 * Whether this process has a socket listening on `hostPort` (Linux only; false elsewhere or when
 * /proc cannot be read). Used only after a timeout, to name the likely cause: a server on the
 * thread that is blocked in a sync call cannot answer it. Another thread of this process could
 * own that server too, so the answer is "maybe", and the error says so.
 */
export function listensInThisProcess(hostPort: string | undefined): boolean {
  if (hostPort === undefined || process.platform !== "linux") return false;
  try {
    const colon = hostPort.lastIndexOf(":");
    const host = hostPort.slice(0, colon).replace(/^\[(.*)\]$/, "$1");
    const port = Number(hostPort.slice(colon + 1));
    if (!Number.isInteger(port) || !isLocal(host)) return false;
    const inodes = new Set<string>();
    for (const table of ["/proc/self/net/tcp", "/proc/self/net/tcp6"]) {
      let text: string;
      try {
        text = readFileSync(table, "utf8");
      } catch {
        continue;
      }
      for (const line of text.split("\n").slice(1)) {
        // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
        const cols = line.trim().split(/\s+/);
        if (cols.length < 10 || cols[3] !== "0A") continue; // 0A: LISTEN
        if (Number.parseInt(cols[1]!.split(":")[1]!, 16) === port) inodes.add(cols[9]!);
      }
    }
    if (inodes.size === 0) return false;
    for (const fd of readdirSync("/proc/self/fd")) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
        if (m && inodes.has(m[1]!)) return true;
      } catch {
        // closed meanwhile
      }
    }
  } catch {
    // no /proc: say nothing
  }
  return false;
}

function isLocal(host: string): boolean {
  if (host === "localhost" || host.startsWith("127.") || host === "::1" || host === "0.0.0.0" || host === "::") return true;
  return Object.values(networkInterfaces()).some((list) => list?.some((i) => i.address === host));
}
