import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/** The temporary file a save writes first: `.<name>.<pid>.<random>.tmp` beside the cassette. */
function tempName(path: string): string {
  return `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
}

/** Whether a process of this id runs (ours or not); EPERM means it runs as someone else. */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Removes the temporary files that saves of this cassette killed midway left behind: those of
 * this process (whose saves are synchronous, so none is in progress) and of processes that are
 * gone. A save still running in another process keeps its file.
 */
export function removeStaleTempFiles(path: string): void {
  const dir = dirname(path);
  const prefix = `.${basename(path)}.`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return; // no directory yet: nothing to clean
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith(".tmp")) continue;
    const match = /^(\d+)\.[0-9a-f]+\.tmp$/.exec(name.slice(prefix.length));
    if (match === null) continue;
    const pid = Number(match[1]);
    if (pid === process.pid || !isRunning(pid)) rmSync(join(dir, name), { force: true });
  }
}

/** The file's text, or undefined when there is no file. Stale temp files of it are removed first. */
export function readCassetteFile(path: string): string | undefined {
  removeStaleTempFiles(path);
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

/**
 * Replaces the file atomically: the text goes to a temporary file in the same directory, is
 * flushed to disk, then renamed over the cassette. A crash leaves the old cassette or the new
 * one, never half of one. Missing directories are created (as tchannel-python does).
 */
export function writeCassetteFile(path: string, text: string): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  removeStaleTempFiles(path);
  const temp = join(dir, tempName(path));
  const fd = openSync(temp, "wx", 0o644);
  try {
    try {
      const data = Buffer.from(text, "utf8");
      for (let off = 0; off < data.length; ) off += writeSync(fd, data, off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
  syncDirectory(dir);
}

/** Makes the rename itself durable; some platforms cannot open a directory, which is fine. */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // best effort
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
