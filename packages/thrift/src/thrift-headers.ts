// Thrift application headers: arg2 of a thrift call, an `nh:2` header map (spec §15.3). Most calls
// carry none, so the empty map has its own paths, with no allocation.
import { decodeHeaderMap, encodeHeaderMap } from "@tchannel/frame";

/** `00 00`: no headers. Shared; the channel only reads args, never changes them. */
const NO_HEADERS = Buffer.from([0, 0]);

/** arg2 bytes of `headers`; throws FrameEncodeError for a map that cannot be encoded. */
export function encodeThriftHeaders(headers: Record<string, string> | undefined): Buffer {
  if (headers === undefined || headers === null) return NO_HEADERS;
  for (const _ in headers) return encodeHeaderMap(headers, 2);
  return NO_HEADERS;
}

/** Headers decoded from arg2, as a plain object of its own; throws FrameError subclasses. */
export function decodeThriftHeaders(arg2: Buffer): Record<string, string> {
  if (arg2.length === 2 && arg2[0] === 0 && arg2[1] === 0) return {};
  return { ...decodeHeaderMap(arg2, 2) };
}
