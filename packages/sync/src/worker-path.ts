import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

let cached: URL | undefined;

/**
 * The worker script. A worker thread runs plain JavaScript (Node 20 cannot run a TypeScript
 * worker), so this is always the built `dist/worker.js`:
 * - built, this module is `dist/worker-path.js` and the worker sits beside it;
 * - run from source (`src/worker-path.ts` under Jest, or through the "@tchannel/source" export
 *   condition), the built worker is `../dist/worker.js`.
 * `import.meta.url` works in both: Node gives it to ESM, and @swc/jest's CommonJS output turns it
 * into the file URL of `__filename`.
 */
export function workerUrl(): URL {
  if (cached) return cached;
  for (const candidate of ["./worker.js", "../dist/worker.js"]) {
    const url = new URL(candidate, import.meta.url);
    if (existsSync(url)) return (cached = url);
  }
  const expected = fileURLToPath(new URL("../dist/worker.js", import.meta.url));
  throw new Error(`@tchannel/sync: its worker is not built (${expected} is missing); build the package first`);
}
