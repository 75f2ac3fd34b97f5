/** How a started call ended: its value, or the error to throw. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * A call started with `sync.start.*` (tchannel-python's sync client returns futures): the worker
 * runs it while this thread goes on, e.g. starting more calls. `result()` blocks until it ends and
 * returns what the blocking form would have returned (or throws what it would have thrown);
 * `sync.all([...])` blocks once for several.
 */
export class SyncPendingCall<T> {
  #outcome: Outcome<T> | undefined;
  readonly #wait: () => Outcome<T>;
  readonly #isDone: () => boolean;

  /** @internal Made by SyncTChannel: `wait` blocks until the call ends; `isDone` says whether it has. */
  constructor(wait: () => Outcome<T>, isDone: () => boolean) {
    this.#wait = wait;
    this.#isDone = isDone;
  }

  /** @internal A call that ended as it started (replayed by a cassette, or refused at once). */
  static settled<T>(outcome: Outcome<T>): SyncPendingCall<T> {
    return new SyncPendingCall(
      () => outcome,
      () => true,
    );
  }

  /** Whether the call has ended (its answer arrived); never blocks. */
  get done(): boolean {
    return this.#outcome !== undefined || this.#isDone();
  }

  /** Blocks until the call ends; returns its response or throws its error (the same each time). */
  result(): T {
    this.#outcome ??= this.#wait();
    if (this.#outcome.ok) return this.#outcome.value;
    throw this.#outcome.error;
  }
}
