// Writes each package's test counts to .test-results.json so scripts/test.sh can print one
// "N passed, N failed" line for the whole workspace (turbo runs one jest per package).
const fs = require("node:fs");
const path = require("node:path");

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const summary = {
      passed: results.numPassedTests,
      failed: results.numFailedTests + results.numRuntimeErrorTestSuites,
      skipped: results.numPendingTests + results.numTodoTests,
    };
    fs.writeFileSync(path.join(process.cwd(), ".test-results.json"), `${JSON.stringify(summary)}\n`);
  }
}

module.exports = SummaryReporter;
