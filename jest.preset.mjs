// Shared Jest configuration: @swc/jest (CommonJS output), sources of sibling packages through
// the "@tchannel/source" export condition so no build is needed before testing.
import { fileURLToPath } from "node:url";

const summaryReporter = fileURLToPath(new URL("./scripts/jest-summary-reporter.cjs", import.meta.url));

export default {
  testEnvironment: "node",
  testEnvironmentOptions: {
    customExportConditions: ["@tchannel/source", "node", "node-addons"],
  },
  moduleNameMapper: { "^(\\.{1,2}/.*)\\.js$": "$1" },
  transform: {
    "^.+\\.ts$": [
      "@swc/jest",
      { jsc: { parser: { syntax: "typescript" }, target: "es2022" }, module: { type: "commonjs" } },
    ],
  },
  testMatch: ["**/src/**/*.test.ts", "**/test/**/*.test.ts"],
  reporters: ["default", summaryReporter],
};
