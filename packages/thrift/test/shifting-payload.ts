/**
 * A Payload whose `data` is `first` when sized and `later` on every read after that: a value that
 * changes between the sizing pass and the write (a getter, say), for the into-frame tests.
 */
export class Shifting {
  seq = 1;
  #reads = 0;
  constructor(
    readonly first: Buffer,
    readonly later: Buffer,
  ) {}
  get data(): Buffer {
    return this.#reads++ === 0 ? this.first : this.later;
  }
}
