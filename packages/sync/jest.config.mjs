// Each test blocks on a worker thread and a server process; on a loaded 2-core machine a start-up
// can take seconds, so the per-test limit is generous and each test bounds its own waits.
import preset from "../../jest.preset.mjs";

export default {
  ...preset,
  testTimeout: 30000,
};
