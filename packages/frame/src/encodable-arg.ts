import { FrameEncodeError } from "./errors.js";

/**
 * An arg a scheme writes straight into the outgoing frame instead of handing over bytes (issue
 * 18): `size` is its exact byte length, known before anything is written (limits are checked and
 * the frame laid out with it); `writeInto(buf, offset)` writes exactly those bytes at `offset`
 * and returns the offset after them. A message that fits one frame gets the arg's bytes written
 * once, in place; a larger one has the arg written into a buffer of its own first, then
 * fragmented as bytes. `writeInto` may run more than once (a retried call): it must write the same
 * bytes each time. If it throws or writes another length, the encode fails and nothing is sent.
 */
export interface EncodableArg {
  readonly size: number;
  writeInto(buf: Buffer, offset: number): number;
}

/** What an outgoing call message's arg may be: its bytes, or an arg that writes itself. */
export type OutgoingArg = Uint8Array | EncodableArg;

/** The byte length of an outgoing arg. */
export function argSize(arg: OutgoingArg): number {
  return arg instanceof Uint8Array ? arg.length : arg.size;
}

/** Whether `value` is usable as an outgoing arg (bytes, or an encodable with a whole size). */
export function isOutgoingArg(value: unknown): value is OutgoingArg {
  if (value instanceof Uint8Array) return true;
  if (typeof value !== "object" || value === null) return false;
  const { size, writeInto } = value as { size?: unknown; writeInto?: unknown };
  return typeof writeInto === "function" && Number.isInteger(size) && (size as number) >= 0;
}

/** Runs `arg.writeInto(buf, offset)` and checks that it wrote exactly `arg.size` bytes. */
export function writeEncodable(arg: EncodableArg, buf: Buffer, offset: number): number {
  const end = arg.writeInto(buf, offset);
  if (end !== offset + arg.size) throw new FrameEncodeError(`an encodable arg declared ${arg.size} bytes but wrote ${typeof end === "number" ? end - offset : String(end)}`);
  return end;
}

/** The arg's bytes: itself, or an encodable written into a buffer of its own (fragmented messages). */
export function argBytes(arg: OutgoingArg): Uint8Array {
  if (arg instanceof Uint8Array) return arg;
  const buf = Buffer.allocUnsafe(arg.size);
  writeEncodable(arg, buf, 0);
  return buf;
}
