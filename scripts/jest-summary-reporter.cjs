// Writes each package's test counts, and the names of its failing tests, to .test-results.json so
// scripts/test-summary.mjs can print one "N passed, N failed" line for the whole workspace (turbo
// runs one jest per package) and name what failed at the end of the log, where CI's tail shows it.
const fs = require("node:fs");
const path = require("node:path");

// The first line of a failure message is enough to tell a timeout from an assertion.
function firstLine(text) {
  const line = String(text ?? "")
    // eslint-disable-next-line no-control-regex
    .replace(/\u001b\[[0-9;]*m/g, "")
    .split("\n")
    .find((l) => l.trim() !== "");
  return (line ?? "").trim().slice(0, 200);
}

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const failures = [];
    for (const suite of results.testResults) {
      const file = path.relative(process.cwd(), suite.testFilePath);
      if (suite.testExecError) failures.push(`${file}: suite failed: ${firstLine(suite.testExecError.message)}`);
      for (const test of suite.testResults) {
        if (test.status !== "failed") continue;
        failures.push(`${file} › ${test.fullName} (${test.duration ?? "?"} ms): ${firstLine(test.failureMessages[0])}`);
      }
    }
    const summary = {
      passed: results.numPassedTests,
      failed: results.numFailedTests + results.numRuntimeErrorTestSuites,
      skipped: results.numPendingTests + results.numTodoTests,
      failures,
    };
    fs.writeFileSync(path.join(process.cwd(), ".test-results.json"), `${JSON.stringify(summary)}\n`);
  }
}

module.exports = SummaryReporter;
