import preset from "../../jest.preset.mjs";

// The demo test runs the built programs as a user would, so it gets time for process start-up.
export default { ...preset, testTimeout: 30000 };
