import { Cassette, type CassetteOptions } from "./cassette.js";

type Body<T> = (cassette: Cassette) => T | Promise<T>;

/** Ejects (and so saves) without hiding the body's own error behind a save error. */
async function run<T>(cassette: Cassette, body: Body<T>): Promise<T> {
  let result: T;
  try {
    result = await body(cassette);
  } catch (err) {
    try {
      cassette.eject();
    } catch {
      // the body's error says more
    }
    throw err;
  }
  cassette.eject();
  return result;
}

/**
 * Loads the cassette at `path` (created on the first save if missing), routes every outgoing
 * TChannel and SyncTChannel call in this thread through it while `body` runs, then saves what was recorded
 * (tchannel-python's `use_cassette`). Resolves with what `body` returns.
 */
export function useCassette<T>(path: string, body: Body<T>): Promise<T>;
export function useCassette<T>(path: string, options: CassetteOptions, body: Body<T>): Promise<T>;
export function useCassette<T>(path: string, optionsOrBody: CassetteOptions | Body<T>, maybeBody?: Body<T>): Promise<T> {
  const [options, body] = typeof optionsOrBody === "function" ? [{}, optionsOrBody] : [optionsOrBody, maybeBody!];
  return run(insertCassette(path, options), body);
}

/**
 * The test-function form: `it("gets a value", withCassette("cassettes/get.yaml", async (cassette) => { ... }))`.
 * The cassette is loaded when the test runs, not when it is declared.
 */
export function withCassette<T>(path: string, body: Body<T>): () => Promise<T>;
export function withCassette<T>(path: string, options: CassetteOptions, body: Body<T>): () => Promise<T>;
export function withCassette<T>(path: string, optionsOrBody: CassetteOptions | Body<T>, maybeBody?: Body<T>): () => Promise<T> {
  const [options, body] = typeof optionsOrBody === "function" ? [{}, optionsOrBody] : [optionsOrBody, maybeBody!];
  return () => run(insertCassette(path, options), body);
}

/**
 * Loads and inserts a cassette until its `eject()` (which saves): for `beforeEach`/`afterEach`
 * or `beforeAll`/`afterAll` pairs.
 */
export function insertCassette(path: string, options: CassetteOptions = {}): Cassette {
  return new Cassette(path, options).insert();
}
