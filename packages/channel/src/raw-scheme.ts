import { describeValue } from "./call-arguments.js";
import { InvalidArgumentError } from "./errors.js";
import type { ArgScheme } from "./scheme.js";

const EMPTY = Buffer.alloc(0);

/** The raw scheme (spec §15.1): arg2 and arg3 are opaque bytes. */
export const rawScheme: ArgScheme<Buffer, Buffer> = {
  name: "raw",
  encodeHeaders: (headers) => toBytes(headers),
  decodeHeaders: (bytes) => bytes,
  encodeBody: (body) => toBytes(body),
  decodeBody: (bytes) => bytes,
};

function toBytes(value: Uint8Array | string | undefined): Uint8Array {
  if (value === undefined) return EMPTY;
  if (typeof value === "string") return Buffer.from(value);
  if (value instanceof Uint8Array) return value;
  throw new InvalidArgumentError(`a raw body or headers must be a Buffer, a Uint8Array or a string, got ${describeValue(value)}`);
}
