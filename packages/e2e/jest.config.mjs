// The install tests pack the built packages and run `npm install` in a temporary folder: a few
// seconds each with a warm npm cache, more from a cold one, hence the long timeout.
import preset from "../../jest.preset.mjs";

export default {
  ...preset,
  testTimeout: 120000,
};
