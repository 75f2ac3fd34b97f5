/**
 * What the load loop needs from an implementation's client: one call function per worker (each
 * owns its request payload, so one call per worker is in flight), which checks the response
 * against the request before calling `done`.
 */
export type EchoCall = (seq: number, done: (error: Error | undefined) => void) => void;

export interface EchoClient {
  /** A call function for one worker sending `size`-byte payloads. */
  worker(size: number): EchoCall;
  close(): Promise<void>;
}

export interface EchoServer {
  /** The port it listens on (127.0.0.1). */
  readonly port: number;
}

/** A `size`-byte payload; the first 4 bytes carry the call's sequence number. */
export function makePayload(size: number): Buffer {
  const buf = Buffer.alloc(size);
  for (let i = 0; i < size; i++) buf[i] = 97 + (i % 26);
  return buf;
}

/** Stamps `seq` into the payload (when it has room) so a response to another call cannot pass. */
export function stamp(buf: Buffer, seq: number): void {
  if (buf.length >= 4) buf.writeUInt32BE(seq >>> 0, 0);
}

export class EchoMismatchError extends Error {
  override readonly name = "EchoMismatchError";
}

/** json payloads: `{ seq, data }` with a `data` string of `size` characters. */
export function jsonData(size: number): string {
  return makePayload(size).toString("latin1");
}
