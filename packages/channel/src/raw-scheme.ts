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
  return typeof value === "string" ? Buffer.from(value) : value;
}
