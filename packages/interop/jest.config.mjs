// Interop tests spawn tchannel-node processes (and may install them first), so they get a
// long timeout. peers/ is a standalone npm project: keep its node_modules out of Jest's
// module map and test discovery.
import preset from "../../jest.preset.mjs";

export default {
  ...preset,
  testTimeout: 60000,
  modulePathIgnorePatterns: ["<rootDir>/peers/"],
  testPathIgnorePatterns: ["/node_modules/", "<rootDir>/peers/"],
};
