// How cassette scalars are written so that PyYAML (tchannel-python's YAML library, YAML 1.1)
// reads back the same values, and how the scalars PyYAML writes are read.
import type { ScalarTag } from "yaml";

type StringifyContext = Parameters<NonNullable<ScalarTag["stringify"]>>[1];

const YAML = "tag:yaml.org,2002:";

/**
 * Characters PyYAML accepts raw in a stream (its Reader's NON_PRINTABLE complement) and that do
 * not break a line inside a double-quoted scalar: everything else is escaped. The yaml library's
 * own double-quoted style writes C1 controls (U+0080-U+009F) raw, which PyYAML refuses for the
 * whole file, and its choice of plain style misses YAML 1.1's `=` and `<<` (value and merge keys:
 * PyYAML's ConstructorError) and strings holding tabs (PyYAML's ScannerError).
 */
function isPrintable(code: number): boolean {
  return (
    (code >= 0x20 && code <= 0x7e) ||
    (code >= 0xa0 && code <= 0xd7ff && code !== 0x2028 && code !== 0x2029) ||
    (code >= 0xe000 && code <= 0xfffd && code !== 0xfeff) ||
    code >= 0x10000
  );
}

const SHORT_ESCAPES: Record<number, string> = { 0x00: "\\0", 0x07: "\\a", 0x08: "\\b", 0x09: "\\t", 0x0a: "\\n", 0x0b: "\\v", 0x0c: "\\f", 0x0d: "\\r", 0x1b: "\\e", 0x22: '\\"', 0x5c: "\\\\" };

/** A YAML 1.1 double-quoted scalar: one line, every character PyYAML could misread escaped. */
export function doubleQuoted(value: string): string {
  let out = '"';
  for (let i = 0; i < value.length; ) {
    const code = value.codePointAt(i)!;
    i += code > 0xffff ? 2 : 1;
    const short = SHORT_ESCAPES[code];
    if (short !== undefined) out += short;
    else if (isPrintable(code)) out += String.fromCodePoint(code);
    else if (code <= 0xff) out += `\\x${code.toString(16).toUpperCase().padStart(2, "0")}`;
    else out += `\\u${code.toString(16).toUpperCase().padStart(4, "0")}`; // includes lone surrogates, as Python holds them
  }
  return `${out}"`;
}

/** Mapping keys this library writes (fixed ASCII names) stay plain, as PyYAML writes them. */
const PLAIN_KEY = /^[A-Za-z][A-Za-z0-9]*$/;

/**
 * Writes every string value double-quoted (see isPrintable): `endpoint: "KeyValue::getValue"`
 * where PyYAML writes `endpoint: KeyValue::getValue`, the same value for both readers.
 */
export const pyString: ScalarTag = {
  identify: (value) => typeof value === "string",
  default: true,
  tag: `${YAML}str`,
  resolve: (source) => source,
  stringify: (item, ctx: StringifyContext) => {
    const value = String(item.value);
    return ctx.implicitKey && PLAIN_KEY.test(value) ? value : doubleQuoted(value);
  },
};

/** Base64 lines of 76 characters in a literal block, `!!binary ""` when empty: what PyYAML writes for bytes. */
export const pyBinary: ScalarTag = {
  identify: (value) => value instanceof Uint8Array,
  default: false,
  tag: `${YAML}binary`,
  resolve: (source, onError) => {
    const text = source.replace(/[\s]/g, "");
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 === 1) {
      onError("!!binary holds something that is not base64");
      return Buffer.alloc(0);
    }
    return Buffer.from(text, "base64");
  },
  stringify: (item, ctx: StringifyContext) => {
    const base64 = Buffer.from(item.value as Uint8Array).toString("base64");
    if (base64 === "") return '""';
    const lines: string[] = [];
    for (let at = 0; at < base64.length; at += 76) lines.push(ctx.indent + base64.slice(at, at + 76));
    return `|\n${lines.join("\n")}`;
  },
};

/**
 * The tags a cassette may hold. Everything else is read as its source text (the failsafe schema):
 * each field is then converted as the cassette's schema says, so a string field is a string
 * whatever it looks like (`09`, `1e3`, `y`, `N`), as PyYAML reads it.
 * - `!!binary`, and Python 3's `!!python/bytes` (base64 too): bytes;
 * - tchannel-python 2's `!!python/unicode` / `!!python/str`: they only say "this is a string";
 * - `!!str` and `!!int`, which a hand-written cassette may use.
 * Others (PyYAML's `!!python/object/apply` would run code) are refused.
 */
export const READ_TAGS: ScalarTag[] = [
  pyBinary,
  { ...pyBinary, tag: `${YAML}python/bytes`, identify: undefined, stringify: undefined },
  ...["python/unicode", "python/str", "str"].map((name): ScalarTag => ({ tag: `${YAML}${name}`, resolve: (source: string) => source })),
  { tag: `${YAML}int`, resolve: (source, onError) => (/^[-+]?\d+$/.test(source) ? Number(source) : (onError(`!!int ${JSON.stringify(source)} is not an integer`), source)) },
];

/** YAML 1.1's spellings of null in plain style (and the empty value). */
export const PLAIN_NULLS = new Set(["", "~", "null", "Null", "NULL"]);
