import { execFileSync } from "node:child_process";
import { describe, expect, it } from "@jest/globals";
import { jsonFromNh2Headers, pythonJsonSpelling } from "./python-json.js";

const values: unknown[] = [
  { a: 1, s: "héllo ☃", list: [1, 2.5, true, null], nested: { x: { y: [] } } },
  { k: "v", "x-test": "json-echo" },
  {},
  [],
  "plain",
  { emoji: "😀", ctl: "\u0000\u001f\u007f\u0080", q: 'quote " and \\ backslash', nl: "a\nb\r\tc\b\f", slash: "a/b", lone: "\ud800" },
  { "key with: colon, comma": ["x, y", "k: v"] },
  -0.5,
  null,
];

describe("pythonJsonSpelling", () => {
  it("spells the value as json.dumps does (the cassette fixture's own body, byte for byte)", () => {
    expect(pythonJsonSpelling(JSON.stringify(values[0]))).toBe('{"a": 1, "s": "h\\u00e9llo \\u2603", "list": [1, 2.5, true, null], "nested": {"x": {"y": []}}}');
    expect(pythonJsonSpelling("{}")).toBe("{}");
    expect(pythonJsonSpelling(' { "a" :\n[ 1 ,2 ] } ')).toBe('{"a": [1, 2]}');
    expect(pythonJsonSpelling('"\\u0041\\/"')).toBe('"A/"');
    expect(pythonJsonSpelling("not json")).toBeUndefined();
    expect(pythonJsonSpelling("")).toBeUndefined();
  });

  it("keeps the value: JSON.parse of the spelling gives what JSON.parse of the input gives", () => {
    for (const value of values) expect(JSON.parse(pythonJsonSpelling(JSON.stringify(value))!)).toEqual(JSON.parse(JSON.stringify(value)));
  });

  it("matches real Python json.dumps for every value", () => {
    let python: string;
    try {
      python = execFileSync("python3", ["-c", "import json,sys\nfor line in sys.stdin.read().split('\\n'):\n  print(json.dumps(json.loads(line)))"], { input: values.map((v) => JSON.stringify(v)).join("\n") }).toString();
    } catch (err) {
      // Never a silent skip: python3 comes with python3-yaml (scripts/ensure-system-packages.sh).
      if (process.env.TCHANNEL_SKIP_PYYAML !== "1") throw new Error(`python3 is needed (run scripts/ensure-system-packages.sh, or set TCHANNEL_SKIP_PYYAML=1): ${(err as Error).message}`);
      return;
    }
    expect(values.map((v) => pythonJsonSpelling(JSON.stringify(v)))).toEqual(python.trimEnd().split("\n"));
  });
});

describe("jsonFromNh2Headers", () => {
  it("reads Python 0.15-0.20's json headers in the nh:2 format", () => {
    expect(jsonFromNh2Headers(Buffer.from("AAA=", "base64"))).toBe("{}");
    expect(jsonFromNh2Headers(Buffer.from("AAEAAmhrAAJodg==", "base64"))).toBe('{"hk":"hv"}');
    expect(jsonFromNh2Headers(Buffer.from("{}"))).toBeUndefined();
    expect(jsonFromNh2Headers(Buffer.from([0, 1, 0, 5, 0x61]))).toBeUndefined();
    expect(jsonFromNh2Headers(Buffer.from([0, 0, 0]))).toBeUndefined();
  });
});
