/**
 * Calls in progress on one connection, by message id: the table every call is added to and
 * removed from (outbound calls awaiting answers, inbound calls awaiting their handlers).
 *
 * Deliberately not a `Map` (issue 18). When a V8 Map rehashes, which a table that takes and drops
 * an entry per call does every few dozen calls, its old backing store keeps a pointer to the new
 * one (for live iterators) and to the entries it held. Once one such store is in old space and
 * dead, the scavenger still treats its pointers as roots: each later store, the calls in it and
 * everything they reach (promise, response, buffers) survive every scavenge and are promoted in
 * turn, until a mark-compact. With 32 calls in flight that kept 40-60% of everything a client
 * allocated. An object used as a dictionary of integer keys has no such link: a replaced backing
 * store is plain garbage, and a deleted entry's slot is cleared.
 */
export class IdTable<T> {
  #entries: Record<number, T> = Object.create(null) as Record<number, T>;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  get(id: number): T | undefined {
    return this.#entries[id];
  }

  has(id: number): boolean {
    return this.#entries[id] !== undefined;
  }

  /** Adds or replaces the entry for `id` (`value` is never undefined). */
  set(id: number, value: T): void {
    if (this.#entries[id] === undefined) this.#size++;
    this.#entries[id] = value;
  }

  /** Removes the entry for `id`; returns whether there was one. */
  delete(id: number): boolean {
    if (this.#entries[id] === undefined) return false;
    delete this.#entries[id];
    this.#size--;
    return true;
  }

  /** The entries, in ascending id order (a copy: the table may change while they are used). */
  values(): T[] {
    return Object.values(this.#entries);
  }

  clear(): void {
    this.#entries = Object.create(null) as Record<number, T>;
    this.#size = 0;
  }
}
