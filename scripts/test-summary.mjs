// Sums the per-package .test-results.json files written by jest-summary-reporter.cjs and prints
// the plain closing line CI reads, after the names of the tests that failed (if any).
// Exits non-zero if any test failed or no test ran.
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
let passed = 0;
let failed = 0;
let skipped = 0;
const failures = [];
for (const group of ["packages", "apps"]) {
  const dir = join(root, group);
  if (!existsSync(dir)) continue;
  for (const name of readdirSync(dir)) {
    const file = join(dir, name, ".test-results.json");
    if (!existsSync(file)) continue;
    const r = JSON.parse(readFileSync(file, "utf8"));
    passed += r.passed;
    failed += r.failed;
    skipped += r.skipped;
    for (const f of r.failures ?? []) failures.push(`${group}/${name}/${f}`);
  }
}
for (const f of failures) console.log(`failed: ${f}`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
