import type { ArgSink } from "@tchannel/frame";

/** What a connection does when a streamed arg's reader falls behind (see ArgStream). */
export interface ReadFlow {
  pauseReading(): void;
  resumeReading(): void;
}

/** Bytes buffered for a streamed arg before its connection stops reading: 1 MiB. */
export const STREAM_HIGH_WATER = 1024 * 1024;

/**
 * A streamed arg as it arrives (issue 18): an async iterable of the chunks of one arg, in wire
 * order, each a Buffer the reader may keep. Chunks wait here until read; above 1 MiB waiting the
 * connection stops reading the socket (TChannel has no per-call flow control on the wire, so
 * this holds the peer back through TCP, for every call on that connection, as tchannel-go's
 * full exchange buffer does) and reads on once the reader has taken them. A failure (timeout,
 * cancel, the peer gone, a bad checksum) makes the pending read throw it.
 */
export class ArgStream implements AsyncIterable<Buffer> {
  readonly #flow: ReadFlow;
  #queue: Buffer[] = [];
  #head = 0;
  #buffered = 0;
  #paused = false;
  #ended = false;
  #discarding = false;
  #iterating = false;
  #error: unknown = undefined;
  #wake: (() => void) | undefined;
  /** Called when reading of this arg starts (so that an earlier arg's unread rest is dropped). */
  onRead: (() => void) | undefined;

  constructor(flow: ReadFlow) {
    this.#flow = flow;
  }

  /** Whether the arg's last chunk has arrived. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Bytes received and not yet read. */
  get buffered(): number {
    return this.#buffered;
  }

  /** From the connection: the next chunk. */
  push(chunk: Buffer): void {
    if (this.#discarding || this.#error !== undefined || chunk.length === 0) return;
    this.#queue.push(chunk);
    this.#buffered += chunk.length;
    if (!this.#paused && this.#buffered > STREAM_HIGH_WATER) {
      this.#paused = true;
      this.#flow.pauseReading();
    }
    this.#notify();
  }

  /** From the connection: the arg is complete. */
  end(): void {
    this.#ended = true;
    this.#notify();
  }

  /** The call failed: reads throw `error` (chunks not yet read are dropped). */
  fail(error: unknown): void {
    if (this.#ended && this.#head >= this.#queue.length) return;
    if (this.#error !== undefined) return;
    this.#error = error;
    this.#drop();
    this.#notify();
  }

  /** Nobody will read the rest: drop what is buffered and what still comes. */
  discard(): void {
    this.#discarding = true;
    this.#drop();
  }

  /** Reads the whole arg into one Buffer (for args known to be small, such as arg2's headers). */
  async bytes(): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const chunk of this) parts.push(chunk);
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  [Symbol.asyncIterator](): AsyncIterator<Buffer> {
    if (this.#iterating) throw new TypeError("a streamed arg can be read only once");
    this.#iterating = true;
    this.onRead?.();
    return {
      next: () => this.#next(),
      return: () => {
        this.discard();
        return Promise.resolve({ done: true, value: undefined });
      },
    };
  }

  async #next(): Promise<IteratorResult<Buffer>> {
    for (;;) {
      if (this.#error !== undefined) throw this.#error;
      if (this.#head < this.#queue.length) {
        const chunk = this.#queue[this.#head]!;
        this.#queue[this.#head++] = EMPTY;
        if (this.#head === this.#queue.length) {
          this.#queue = [];
          this.#head = 0;
        }
        this.#buffered -= chunk.length;
        if (this.#paused && this.#buffered <= STREAM_HIGH_WATER / 2) this.#release();
        return { done: false, value: chunk };
      }
      if (this.#ended || this.#discarding) return { done: true, value: undefined };
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  #drop(): void {
    this.#queue = [];
    this.#head = 0;
    this.#buffered = 0;
    this.#release();
  }

  #release(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#flow.resumeReading();
  }

  #notify(): void {
    const wake = this.#wake;
    if (wake !== undefined) {
      this.#wake = undefined;
      wake();
    }
  }
}

const EMPTY = Buffer.alloc(0);

/**
 * The sink a connection feeds for a streamed message: arg1 is dropped (already known from the
 * first frame), arg2 and arg3 go to their streams; `onEnd` runs after arg3's last chunk.
 */
export class StreamedMessageSink implements ArgSink {
  constructor(
    readonly arg2: ArgStream,
    readonly arg3: ArgStream,
    readonly onEnd: () => void,
  ) {
    // Reading arg3 means arg2 is done with: its unread rest must not hold the connection back.
    arg3.onRead = () => {
      if (!arg2.ended) arg2.discard();
    };
  }

  chunk(index: number, bytes: Buffer, argEnds: boolean): void {
    if (index === 0) return;
    const stream = index === 1 ? this.arg2 : this.arg3;
    stream.push(bytes);
    if (argEnds) {
      stream.end();
      if (index === 2) this.onEnd();
    }
  }

  fail(error: unknown): void {
    this.arg2.fail(error);
    this.arg3.fail(error);
  }

  discard(): void {
    this.arg2.discard();
    this.arg3.discard();
  }
}

/** A sink that drops everything: a streamed request answered with an error before its handler. */
export const DISCARD_SINK: ArgSink = { chunk() {} };
