import {
  MAX_SENT_TRANSPORT_HEADER_KEY_SIZE,
  MAX_TRANSPORT_HEADERS,
  MAX_TRANSPORT_HEADER_KEY_SIZE,
} from "./constants.js";
import { FrameEncodeError, InvalidHeaderError, MalformedFrameError } from "./errors.js";
import type { HeaderMap } from "./frame.js";
import { PayloadReader } from "./payload-reader.js";
import { utf8Length, writeUtf8 } from "./short-string.js";

/**
 * Header maps: `nh:1 (k~1 v~1){nh}` for transport headers (spec §7) and `nh:2 (k~2 v~2){nh}` for
 * init headers (spec §4) and Thrift application headers (spec §15.3). Decoded maps have no
 * Object.prototype in their chain, so a peer's `__proto__` or `toString` key is just a key.
 */
export type HeaderWidth = 1 | 2;

/**
 * The prototype of decoded maps: an empty object whose own prototype is null. Not
 * `Object.create(null)` for each map: V8 makes those dictionary-mode objects, several times the
 * bytes and a hash insert per key, on every frame (issue 18's allocation profile); objects made
 * by a constructor stay in fast mode, and the keys every call carries (as, cn, re) share one
 * hidden class.
 */
const HEADER_MAP_PROTOTYPE: object = Object.create(null);

function DecodedHeaders(this: HeaderMap): void {}
DecodedHeaders.prototype = HEADER_MAP_PROTOTYPE;

/** A new empty map for decoded headers: no inherited keys at all. */
export function newHeaderMap(): HeaderMap {
  return new (DecodedHeaders as unknown as new () => HeaderMap)();
}

export function readHeaderMap(r: PayloadReader, width: HeaderWidth): HeaderMap {
  const headers = newHeaderMap();
  const count = width === 1 ? r.u8("header count") : r.u16("header count");
  if (width === 1 && count > MAX_TRANSPORT_HEADERS) {
    throw new InvalidHeaderError("too-many", undefined, `${count} transport headers exceed the limit of ${MAX_TRANSPORT_HEADERS}`, r.frameId, r.frameType);
  }
  for (let i = 0; i < count; i++) {
    const keyLength = width === 1 ? r.u8("header key length") : r.u16("header key length");
    if (keyLength === 0) throw new InvalidHeaderError("empty-key", "", "header key is empty", r.frameId, r.frameType);
    const key = r.string(keyLength, "header key");
    if (width === 1 && keyLength > MAX_TRANSPORT_HEADER_KEY_SIZE) {
      throw new InvalidHeaderError("key-too-long", key, `transport header key ${JSON.stringify(key)} exceeds ${MAX_TRANSPORT_HEADER_KEY_SIZE} bytes`, r.frameId, r.frameType);
    }
    const valueLength = width === 1 ? r.u8("header value length") : r.u16("header value length");
    const value = r.string(valueLength, "header value");
    if (headers[key] !== undefined) {
      throw new InvalidHeaderError("duplicate", key, `duplicate header key ${JSON.stringify(key)}`, r.frameId, r.frameType);
    }
    headers[key] = value;
  }
  return headers;
}

/** Bytes `writeHeaderMap` will write; validates the map against the limits of the width. */
export function headerMapLength(headers: HeaderMap, width: HeaderWidth): number {
  const max = width === 1 ? 0xff : 0xffff;
  let length = width;
  let count = 0;
  for (const key in headers) {
    const value = headers[key];
    if (value === undefined) continue;
    const keyLength = utf8Length(key);
    const valueLength = utf8Length(value);
    if (keyLength === 0) throw new FrameEncodeError("header key is empty");
    if (width === 1 && keyLength > MAX_SENT_TRANSPORT_HEADER_KEY_SIZE) {
      throw new FrameEncodeError(`transport header key ${JSON.stringify(key)} is ${keyLength} bytes; tchannel-node accepts at most ${MAX_SENT_TRANSPORT_HEADER_KEY_SIZE}`);
    }
    if (keyLength > max || valueLength > max) throw new FrameEncodeError(`header ${JSON.stringify(key)} is longer than ${max} bytes`);
    length += width * 2 + keyLength + valueLength;
    count++;
  }
  if (count > (width === 1 ? MAX_TRANSPORT_HEADERS : 0xffff)) throw new FrameEncodeError(`${count} headers exceed the limit`);
  return length;
}

/** Writes the map at `offset` and returns the offset after it. Call `headerMapLength` first. */
export function writeHeaderMap(buf: Buffer, offset: number, headers: HeaderMap, width: HeaderWidth): number {
  const countAt = offset;
  offset += width;
  let count = 0;
  for (const key in headers) {
    const value = headers[key];
    if (value === undefined) continue;
    offset = writeString(buf, offset, key, width);
    offset = writeString(buf, offset, value, width);
    count++;
  }
  if (width === 1) buf[countAt] = count;
  else buf.writeUInt16BE(count, countAt);
  return offset;
}

function writeString(buf: Buffer, offset: number, s: string, width: HeaderWidth): number {
  const n = writeUtf8(buf, offset + width, s);
  if (width === 1) buf[offset] = n;
  else buf.writeUInt16BE(n, offset);
  return offset + width + n;
}

/**
 * Encodes a standalone header map, e.g. Thrift arg2 (`nh:2`, spec §15.3: an empty map is `00 00`,
 * never zero bytes).
 */
export function encodeHeaderMap(headers: HeaderMap, width: HeaderWidth = 2): Buffer {
  const buf = Buffer.allocUnsafe(headerMapLength(headers, width));
  writeHeaderMap(buf, 0, headers, width);
  return buf;
}

/** Decodes a standalone header map; the whole input must be the map. Throws FrameError subclasses. */
export function decodeHeaderMap(bytes: Uint8Array, width: HeaderWidth = 2): HeaderMap {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const r = new PayloadReader(buf, 0, buf.length);
  const headers = readHeaderMap(r, width);
  if (r.remaining !== 0) throw new MalformedFrameError(`${r.remaining} trailing bytes after the header map`);
  return headers;
}
