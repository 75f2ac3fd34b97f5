import type { FragmentWriter } from "@tchannel/frame";

/**
 * A streamed arg to send: bytes, or chunks from an iterable or async iterable (a Node Readable is
 * one). Strings are UTF-8.
 */
export type StreamBody = Uint8Array | string | Iterable<Uint8Array | string> | AsyncIterable<Uint8Array | string>;

/** Where a pump writes: a connection, seen from one call. */
export interface PumpTarget {
  /** Writes frames given as pieces (one writev). */
  writePieces(pieces: readonly Buffer[]): void;
  /** Resolves when the socket takes more (at once unless it is above its high-water mark). */
  whenWritable(): Promise<void>;
}

/** Stops a pump: the call ended (timeout, cancel, error, the peer gone). */
export interface PumpControl {
  readonly stopped: boolean;
  /**
   * Set by the pump while it waits (for its producer or for 'drain'); the call runs it when it
   * stops, so the pump stops at once rather than at the producer's next chunk, which may never
   * come. One slot, not a promise raced per chunk (a race leaves a reaction on the promise it
   * loses to, thousands of them over a long body).
   */
  onStop: (() => void) | undefined;
}

function ignore(): void {}

/** `wait`, or undefined as soon as the call stops. */
function untilStopped<T>(wait: PromiseLike<T>, control: PumpControl): Promise<T | undefined> {
  return new Promise<T | undefined>((resolve, reject) => {
    // After a stop, a late chunk or failure settles nothing (and is not an unhandled rejection).
    wait.then(resolve, reject);
    // Stopped already: by the producer's own next(), which may abort the call's signal.
    if (control.stopped) resolve(undefined);
    else control.onStop = () => resolve(undefined);
  });
}

/**
 * Tells a producer nobody wants more: a stream (a Node Readable) is destroyed, a generator's
 * finally runs. A Readable's iterator is an async generator, whose return() waits for a pending
 * next(), so a stalled Readable is only stopped by destroy(). A generator stalled in an await
 * stops at its next yield: it should watch the call's signal.
 */
function stopProducer(body: object, iterator: AsyncIterator<unknown> | Iterator<unknown>): void {
  try {
    const destroy = (body as { destroy?: unknown }).destroy;
    if (typeof destroy === "function") destroy.call(body);
  } catch {
    // As below.
  }
  try {
    // Not awaited: an async generator's return() waits for a pending next(), which may never settle.
    const done = iterator.return?.();
    if (done !== undefined && typeof (done as Promise<unknown>).then === "function") (done as Promise<unknown>).then(ignore, ignore);
  } catch {
    // A producer whose return() throws is stopped as far as we are concerned.
  }
}

function isBytesLike(body: unknown): body is Uint8Array | string {
  return typeof body === "string" || body instanceof Uint8Array;
}

function asBytes(chunk: Uint8Array | string): Uint8Array {
  if (typeof chunk === "string") return Buffer.from(chunk);
  if (!(chunk instanceof Uint8Array)) throw new TypeError(`a streamed arg yields Uint8Array or string chunks, got ${typeof chunk}`);
  return chunk;
}

/** Whether a body is given whole (sent with the message's other parts) rather than streamed. */
export function isWholeBody(body: StreamBody | undefined): body is Uint8Array | string | undefined {
  return body === undefined || isBytesLike(body);
}

/**
 * Sends arg2 then arg3 through `writer` as the producers yield them (spec §9): each chunk goes out
 * at once as its own frame(s), with "more fragments" set, and the next is asked for only once the
 * socket has room (its 'drain'), so a fast producer never queues more than the socket's buffer.
 * Ends the message when both are done. Returns false if stopped (the caller answers the call).
 */
export async function pumpBody(writer: FragmentWriter, target: PumpTarget, control: PumpControl, arg2: StreamBody | undefined, arg3: StreamBody | undefined): Promise<boolean> {
  const args = [arg2, arg3] as const;
  for (let k = 0; k < 2; k++) {
    const index = (k + 1) as 1 | 2;
    const body = args[k];
    if (body === undefined) continue;
    if (isBytesLike(body)) {
      writer.append(index, asBytes(body));
      continue;
    }
    const iterator = (Symbol.asyncIterator in body ? body[Symbol.asyncIterator]() : (body as Iterable<Uint8Array | string>)[Symbol.iterator]()) as AsyncIterator<Uint8Array | string> | Iterator<Uint8Array | string>;
    // Whether the producer is finished (done, or it threw): else it is told to stop on the way out.
    let finished = false;
    try {
      for (;;) {
        if (control.stopped) return false;
        // Whatever is framed so far leaves before we wait for the producer.
        writer.flush();
        const pieces = writer.take();
        if (pieces.length > 0) {
          target.writePieces(pieces);
          await untilStopped(target.whenWritable(), control);
          control.onStop = undefined;
          if (control.stopped) return false;
        }
        let step: IteratorResult<Uint8Array | string>;
        try {
          const next = iterator.next();
          // A thenable, not `instanceof Promise`: an iterator from another realm (a Node stream's
          // is made by Node's own Promise) is as async as ours.
          if (typeof (next as { then?: unknown }).then === "function") {
            const first = await untilStopped(next as Promise<IteratorResult<Uint8Array | string>>, control);
            control.onStop = undefined;
            if (control.stopped) return false;
            step = first as IteratorResult<Uint8Array | string>;
          } else {
            step = await next;
          }
        } catch (err) {
          finished = true;
          throw err;
        }
        if (step.done) {
          finished = true;
          break;
        }
        if (control.stopped) return false;
        writer.append(index, asBytes(step.value));
      }
    } finally {
      if (!finished) stopProducer(body, iterator);
    }
  }
  if (control.stopped) return false;
  writer.end();
  target.writePieces(writer.take());
  return true;
}
