import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

let cached: URL | undefined;

/**
 * The built `dist/sync-extension.js`, for `new SyncTChannel({ workerExtensions: [url] })`: the
 * sync client's worker imports plain JavaScript, never TypeScript, so even when this module runs
 * from source (Jest, the "@tchannel/source" condition) the worker gets the built file.
 */
export function hyperbahnSyncExtensionUrl(): URL {
  if (cached) return cached;
  for (const candidate of ["./sync-extension.js", "../dist/sync-extension.js"]) {
    const url = new URL(candidate, import.meta.url);
    if (existsSync(url)) return (cached = url);
  }
  const expected = fileURLToPath(new URL("../dist/sync-extension.js", import.meta.url));
  throw new Error(`@tchannel/hyperbahn: its sync extension is not built (${expected} is missing); build the package first`);
}
