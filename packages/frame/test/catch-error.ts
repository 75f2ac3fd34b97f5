/** Runs `fn` and returns what it threw; fails the test if it did not throw. */
export function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected an error");
}
