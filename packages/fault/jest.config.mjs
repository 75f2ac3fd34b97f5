// Real processes on a shared 2-core machine: generous per-test time; each test bounds its own waits.
import preset from "../../jest.preset.mjs";

export default {
  ...preset,
  testTimeout: 30000,
};
