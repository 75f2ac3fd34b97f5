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

/** Stops a pump between chunks: the call ended (timeout, cancel, error, the peer gone). */
export interface PumpControl {
  readonly stopped: boolean;
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
    try {
      for (;;) {
        if (control.stopped) return false;
        // Whatever is framed so far leaves before we wait for the producer.
        writer.flush();
        const pieces = writer.take();
        if (pieces.length > 0) {
          target.writePieces(pieces);
          await target.whenWritable();
          if (control.stopped) return false;
        }
        const step = await iterator.next();
        if (step.done) break;
        if (control.stopped) return false;
        writer.append(index, asBytes(step.value));
      }
    } finally {
      if (control.stopped) await iterator.return?.();
    }
  }
  if (control.stopped) return false;
  writer.end();
  target.writePieces(writer.take());
  return true;
}
