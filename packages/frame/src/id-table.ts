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
 * allocated. Neither a slot array nor an object used as a dictionary of integer keys has such a
 * link: a replaced one is plain garbage, and a deleted entry's slot is cleared.
 */
export class IdTable<T> {
  // Ids are message ids, which each side hands out in sequence, so the entries in flight at once
  // mostly have distinct low bits: a slot array indexed by `id & mask` holds them (an array store
  // and a compare, where a dictionary-mode object costs a hash probe per get, set and delete: ~6%
  // of a busy client's time at 64 B, C=32). An id whose slot is taken by another live id goes to
  // the dictionary, and the slots double (up to MAX_SLOTS) when they are half full. A replaced slot
  // array, like a replaced dictionary, points to nothing newer.
  #ids!: Uint32Array;
  #slots!: (T | undefined)[];
  #mask!: number;
  /** Entries whose slot was taken (an object used as a dictionary of integer keys). */
  #spill: Record<number, T> | undefined;
  #spilled!: number;
  #size!: number;

  constructor() {
    this.#reset(INITIAL_SLOTS);
  }

  get size(): number {
    return this.#size;
  }

  get(id: number): T | undefined {
    const i = id & this.#mask;
    const value = this.#slots[i];
    if (value !== undefined && this.#ids[i] === id) return value;
    return this.#spilled === 0 ? undefined : this.#spill![id];
  }

  has(id: number): boolean {
    return this.get(id) !== undefined;
  }

  /** Adds or replaces the entry for `id` (`value` is never undefined). */
  set(id: number, value: T): void {
    const i = id & this.#mask;
    const held = this.#slots[i];
    if (held === undefined) {
      if (this.#spilled !== 0 && this.#spill![id] !== undefined) {
        this.#spill![id] = value;
        return;
      }
      this.#ids[i] = id;
      this.#slots[i] = value;
      this.#size++;
      return;
    }
    if (this.#ids[i] === id) {
      this.#slots[i] = value;
      return;
    }
    if (this.#size * 2 >= this.#slots.length && this.#slots.length < MAX_SLOTS) {
      this.#grow();
      this.set(id, value);
      return;
    }
    const spill = (this.#spill ??= Object.create(null) as Record<number, T>);
    if (spill[id] === undefined) {
      this.#spilled++;
      this.#size++;
    }
    spill[id] = value;
  }

  /** Removes the entry for `id`; returns whether there was one. */
  delete(id: number): boolean {
    const i = id & this.#mask;
    if (this.#slots[i] !== undefined && this.#ids[i] === id) {
      this.#slots[i] = undefined;
      this.#size--;
      return true;
    }
    if (this.#spilled === 0 || this.#spill![id] === undefined) return false;
    delete this.#spill![id];
    this.#spilled--;
    this.#size--;
    return true;
  }

  /** The entries, in ascending id order (a copy: the table may change while they are used). */
  values(): T[] {
    const entries: [number, T][] = [];
    for (let i = 0; i < this.#slots.length; i++) {
      const value = this.#slots[i];
      if (value !== undefined) entries.push([this.#ids[i]!, value]);
    }
    if (this.#spill !== undefined) for (const key in this.#spill) entries.push([Number(key), this.#spill[Number(key)]!]);
    return entries.sort((a, b) => a[0] - b[0]).map((e) => e[1]);
  }

  clear(): void {
    this.#reset(INITIAL_SLOTS);
  }

  /** Empties the table into `size` fresh slots. */
  #reset(size: number): void {
    this.#ids = new Uint32Array(size);
    this.#slots = new Array<T | undefined>(size).fill(undefined);
    this.#mask = size - 1;
    this.#spill = undefined;
    this.#spilled = 0;
    this.#size = 0;
  }

  /** Doubles the slots and moves every entry (spilled ones too) into its new place. */
  #grow(): void {
    const ids = this.#ids;
    const slots = this.#slots;
    const spill = this.#spill;
    this.#reset(slots.length * 2);
    for (let i = 0; i < slots.length; i++) if (slots[i] !== undefined) this.set(ids[i]!, slots[i]!);
    if (spill !== undefined) for (const key in spill) this.set(Number(key), spill[Number(key)]!);
  }
}

/** A fresh table's slots: most connections carry a few calls at a time. */
const INITIAL_SLOTS = 16;
/** At most 64 KiB of slots (ids and values) per table; beyond it, collisions spill. */
const MAX_SLOTS = 4096;
