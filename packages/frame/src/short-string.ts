// Header keys and values, service names and endpoints are short and mostly ASCII, and the same few
// repeat on every frame ("as", "raw", "cn", ...). Crossing into C++ (Buffer#write, #toString,
// Buffer.byteLength) costs more than the bytes themselves at these sizes (ARCHITECTURE.md,
// "Decisions and measurements"), so short strings take a JS path and decoded ones are interned.

/** Strings up to this many bytes take the JS paths; longer ones go to Node's codec. */
const SHORT = 32;
const INTERN_LIMIT = 1024;

/** UTF-8 length of `s`: a JS loop for short ASCII strings, Buffer.byteLength otherwise. */
export function utf8Length(s: string): number {
  const n = s.length;
  if (n > SHORT) return Buffer.byteLength(s);
  for (let i = 0; i < n; i++) if (s.charCodeAt(i) > 0x7f) return Buffer.byteLength(s);
  return n;
}

/** Writes `s` as UTF-8 at `o` and returns the byte count (the caller sized `buf` with utf8Length). */
export function writeUtf8(buf: Buffer, o: number, s: string): number {
  const n = s.length;
  if (n > SHORT) return buf.write(s, o, "utf8");
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return buf.write(s, o, "utf8");
    buf[o + i] = c;
  }
  return n;
}

interface Interned {
  bytes: Uint8Array;
  value: string;
}

/** Decoded short strings by a hash of their bytes; bounded, never evicted (the hot set is tiny). */
const interned = new Map<number, Interned>();

/** Decodes `n` UTF-8 bytes at `o`; a short string seen before is returned without decoding. */
export function readUtf8(buf: Buffer, o: number, n: number): string {
  if (n > SHORT || n === 0) return n === 0 ? "" : buf.toString("utf8", o, o + n);
  let h = n;
  for (let i = o; i < o + n; i++) h = (Math.imul(h, 31) + buf[i]!) | 0;
  const hit = interned.get(h);
  if (hit !== undefined && hit.bytes.length === n) {
    const bytes = hit.bytes;
    let i = 0;
    while (i < n && bytes[i] === buf[o + i]) i++;
    if (i === n) return hit.value;
  }
  const value = buf.toString("utf8", o, o + n);
  if (hit === undefined && interned.size < INTERN_LIMIT) interned.set(h, { bytes: Uint8Array.prototype.slice.call(buf, o, o + n), value });
  return value;
}

/**
 * Decodes a whole short byte string (an endpoint name in arg1): interned like header strings, so a
 * repeated endpoint costs neither a copy nor a new string.
 */
export function decodeShortString(bytes: Uint8Array): string {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return readUtf8(buf, 0, buf.length);
}
