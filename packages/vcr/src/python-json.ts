// The json spellings tchannel-python puts in cassettes. Its VCR matches request bodies byte for
// byte, so a cassette it should replay must hold json args exactly as its json scheme writes them.

/**
 * `text` (valid JSON) as Python's `json.dumps` writes the same value: `", "` and `": "`
 * separators, no other whitespace, and every character outside printable ASCII (U+0020-U+007E)
 * as a `\uXXXX` escape (lowercase hex, surrogate pairs above U+FFFF). Numbers keep their
 * spelling. Undefined when `text` is not JSON (then the bytes are recorded as they are).
 */
export function pythonJsonSpelling(text: string): string | undefined {
  try {
    JSON.parse(text);
  } catch {
    return undefined;
  }
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      const end = stringEnd(text, i);
      out += asciiOnly(text.slice(i, end));
      i = end - 1;
    } else if (c === ",") out += ", ";
    else if (c === ":") out += ": ";
    else if (c !== " " && c !== "\t" && c !== "\n" && c !== "\r") out += c;
  }
  return out;
}

/** The index just past the JSON string that starts at `start`. */
function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === '"') return i + 1;
  }
  return text.length;
}

const SHORT: Record<number, string> = { 0x22: '\\"', 0x5c: "\\\\", 0x0a: "\\n", 0x0d: "\\r", 0x09: "\\t", 0x08: "\\b", 0x0c: "\\f" };

/** A JSON string literal as Python's `json.dumps` (`ensure_ascii`) writes its value. */
function asciiOnly(literal: string): string {
  const value = JSON.parse(literal) as string;
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i); // UTF-16 units: astral characters become surrogate pairs, as in Python
    const short = SHORT[code];
    if (short !== undefined) out += short;
    else if (code >= 0x20 && code <= 0x7e) out += value[i];
    else out += `\\u${code.toString(16).padStart(4, "0")}`;
  }
  return `${out}"`;
}

/**
 * Python 0.15-0.20's json headers: the thrift scheme's `nh:2` block (u16 count, then u16-length
 * key and value pairs, spec §15.3) instead of a JSON object; an empty block is two zero bytes.
 * The headers as a JSON object text, or undefined when `bytes` is not such a block.
 */
export function jsonFromNh2Headers(bytes: Uint8Array): string | undefined {
  if (bytes.length < 2) return undefined;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = buf.readUInt16BE(0);
  const headers: Record<string, string> = Object.create(null);
  let at = 2;
  const take = (): string | undefined => {
    if (at + 2 > buf.length) return undefined;
    const length = buf.readUInt16BE(at);
    at += 2;
    if (at + length > buf.length) return undefined;
    const text = buf.toString("utf8", at, at + length);
    at += length;
    return text;
  };
  for (let n = 0; n < count; n++) {
    const key = take();
    const value = take();
    if (key === undefined || value === undefined) return undefined;
    headers[key] = value;
  }
  return at === buf.length ? JSON.stringify(headers) : undefined;
}
