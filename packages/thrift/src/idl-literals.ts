// thriftrw 3.12.0's grammar drops the sign of a negative decimal constant in a default or a
// `const` (NumberLiteral = `[+-]? i:DecimalLiteral { return i }`): `i32 retries = -1` loads as 1.
// Its AST keeps no positions for literals, so we find each value's text from the field or const
// it belongs to, and give the parsed numbers back their signs, before thriftrw compiles the AST.
import type { IdlProgram } from "thriftrw/thrift-idl.js";

interface Node {
  type?: string;
  value?: unknown;
  values?: Node[];
  entries?: { key: Node; value: Node }[];
}

interface Located {
  id?: { line?: number; column?: number };
  defaultValue?: Node | null;
  value?: Node;
}

export function restoreNegativeLiterals(source: string, ast: IdlProgram): void {
  const lineStarts = [0];
  for (let i = 0; i < source.length; i++) if (source.charCodeAt(i) === 10) lineStarts.push(i + 1);
  const fix = (at: { line?: number; column?: number } | undefined, value: Node | null | undefined) => {
    if (!value || at?.line === undefined) return;
    const numbers: Node[] = [];
    collectNumbers(value, numbers);
    if (numbers.length === 0) return;
    let pos = skipTo(source, (lineStarts[at.line - 1] ?? 0) + (at.column ?? 1) - 1, "=");
    for (const literal of numbers) {
      const token = nextNumber(source, pos);
      if (token === undefined) return;
      if (token.negative && typeof literal.value === "number" && literal.value > 0) literal.value = -literal.value;
      pos = token.end;
    }
  };
  for (const def of ast.definitions as unknown as (Located & { type: string; fields?: Located[]; functions?: { fields?: Located[] }[] })[]) {
    if (def.type === "Const") fix(def.id, def.value);
    for (const f of def.fields ?? []) fix(f.id, f.defaultValue);
    for (const fn of def.functions ?? []) for (const f of fn.fields ?? []) fix(f.id, f.defaultValue);
  }
}

/** The numeric literals of a const value, in source order. */
function collectNumbers(node: Node, out: Node[]): void {
  if (node.type === "Literal" && typeof node.value === "number") out.push(node);
  for (const v of node.values ?? []) collectNumbers(v, out);
  for (const e of node.entries ?? []) {
    collectNumbers(e.key, out);
    collectNumbers(e.value, out);
  }
}

/** The position after the next `ch` outside comments and strings. */
function skipTo(src: string, pos: number, ch: string): number {
  while (pos < src.length) {
    const next = skipTrivia(src, pos);
    if (next !== pos) {
      pos = next;
      continue;
    }
    if (src[pos] === ch) return pos + 1;
    pos++;
  }
  return pos;
}

const NUMBER = /(?:0[xX][0-9a-fA-F]+|\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?/y;

/** The next number token from pos, outside comments, strings and identifiers. */
function nextNumber(src: string, pos: number): { negative: boolean; end: number } | undefined {
  while (pos < src.length) {
    const next = skipTrivia(src, pos);
    if (next !== pos) {
      pos = next;
      continue;
    }
    const c = src[pos]!;
    if (/[A-Za-z_]/.test(c)) {
      while (pos < src.length && /[A-Za-z0-9_.]/.test(src[pos]!)) pos++;
      continue;
    }
    NUMBER.lastIndex = pos;
    const m = NUMBER.exec(src);
    if (m) return { negative: src[pos - 1] === "-", end: pos + m[0].length };
    pos++;
  }
  return undefined;
}

/** Skips one comment or string literal at pos (returns pos when there is none). */
function skipTrivia(src: string, pos: number): number {
  const c = src[pos];
  if (c === "#" || (c === "/" && src[pos + 1] === "/")) {
    const end = src.indexOf("\n", pos);
    return end < 0 ? src.length : end + 1;
  }
  if (c === "/" && src[pos + 1] === "*") {
    const end = src.indexOf("*/", pos + 2);
    return end < 0 ? src.length : end + 2;
  }
  if (c === '"' || c === "'") {
    let i = pos + 1;
    while (i < src.length && src[i] !== c) i += src[i] === "\\" ? 2 : 1;
    return i + 1;
  }
  return pos;
}
