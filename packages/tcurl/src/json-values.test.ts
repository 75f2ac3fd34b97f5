import { describe, expect, it } from "@jest/globals";
import { loadThriftSync, type ThriftMethod } from "@tchannel/thrift";
import { EVERYTHING_THRIFT } from "../test/test-server.js";
import { JsonValueError, fromJson, structFromJson, toJson } from "./json-values.js";
import type { ThriftType } from "./thrift-types.js";

const echo: ThriftMethod = loadThriftSync(EVERYTHING_THRIFT, { service: "s" }).Echo.methods.get("echo");
const everything = echo.args.fields[0]!.type as Extract<ThriftType, { kind: "struct" }>;
const field = (name: string): ThriftType => everything.def.fields.find((f) => f.name === name)!.type;

function fails(type: ThriftType, value: unknown): string {
  try {
    fromJson(type, value, "v");
  } catch (err) {
    expect(err).toBeInstanceOf(JsonValueError);
    return (err as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(value)}`);
}

describe("fromJson", () => {
  it("i64: safe numbers and strings of digits become bigint; unsafe numbers are refused with a hint", () => {
    expect(fromJson(field("big"), 42, "v")).toBe(42n);
    expect(fromJson(field("big"), "-9223372036854775808", "v")).toBe(-(2n ** 63n));
    expect(fails(field("big"), 2 ** 60)).toMatch(/lost precision .* quote it: "1152921504606846976"/);
    expect(fails(field("big"), "9223372036854775808")).toMatch(/out of the i64 range/);
    expect(fails(field("big"), 1.5)).toMatch(/integer/);
  });

  it("integers are range-checked", () => {
    expect(fromJson(field("small"), "-128", "v")).toBe(-128);
    expect(fails(field("small"), 128)).toMatch(/out of the range of a byte/);
    expect(fails(field("medium"), 40000)).toMatch(/i16/);
    expect(fails(field("int32"), true)).toMatch(/expected an i32/);
  });

  it("binary: UTF-8 text, {base64}, byte arrays and Node's Buffer JSON", () => {
    expect(fromJson(field("blob"), "hé", "v")).toEqual(Buffer.from("hé"));
    expect(fromJson(field("blob"), { base64: "/wAB" }, "v")).toEqual(Buffer.from([255, 0, 1]));
    expect(fromJson(field("blob"), [1, 2], "v")).toEqual(Buffer.from([1, 2]));
    expect(fromJson(field("blob"), { type: "Buffer", data: [3] }, "v")).toEqual(Buffer.from([3]));
    expect(fails(field("blob"), { base64: "!!" })).toMatch(/base64 alphabet/);
    expect(fails(field("blob"), 5)).toMatch(/expected binary/);
  });

  it("enums by name or number; doubles with NaN and infinities as strings", () => {
    expect(fromJson(field("color"), "RED", "v")).toBe("RED");
    expect(fromJson(field("color"), 2, "v")).toBe("GREEN");
    expect(fails(field("color"), "BLUE")).toMatch(/expected a Color member \(RED, GREEN\)/);
    expect(fromJson(field("ratio"), "-Infinity", "v")).toBe(Number.NEGATIVE_INFINITY);
    expect(fails(field("ratio"), "1.5")).toMatch(/expected a number/);
  });

  it("maps from objects (keys parsed from their text) or [key, value] pairs", () => {
    expect(fromJson(field("byNumber"), { "7": "RED" }, "v")).toEqual(new Map([[7, "RED"]]));
    expect(fromJson(field("counts"), [["a", "5"]], "v")).toEqual(new Map([["a", 5n]]));
    expect(fromJson(field("labels"), [[{ x: 1, y: 2 }, "p"]], "v")).toEqual(new Map([[{ x: 1, y: 2 }, "p"]]));
    expect(fails(field("labels"), { a: "b" })).toMatch(/struct keys must be given as an array of \[key, value\] pairs/);
    expect(fails(field("byNumber"), { x: "RED" })).toMatch(/expected an i32/);
  });

  it("structs and unions: unknown fields, missing required fields, one union member", () => {
    expect(() => structFromJson(echo.args, {}, "body")).toThrow(/body\.value: required field of echo_args is missing/);
    expect(fails(field("points"), [{ x: 1 }])).toMatch(/v\[0\]\.y: required field of Point is missing/);
    expect(fails(field("points"), [{ x: 1, y: 2, z: 3 }])).toMatch(/Point has no field "z" \(fields: x, y\)/);
    expect(fails(field("pick"), { text: "a", number: 1 })).toMatch(/union: set exactly one of text, number \(got 2\)/);
    expect(fails(field("pick"), {})).toMatch(/got 0/);
    expect(structFromJson(echo.args, { value: { flag: null } }, "body")).toEqual({ value: {} });
  });
});

describe("toJson", () => {
  it("i64 as a number when safe, else a string; binary as text when UTF-8, else {base64}", () => {
    expect(toJson(field("big"), 5n)).toBe(5);
    expect(toJson(field("big"), 2n ** 60n)).toBe("1152921504606846976");
    expect(toJson(field("blob"), Buffer.from("ok"))).toBe("ok");
    expect(toJson(field("blob"), Buffer.from([0xc3]))).toEqual({ base64: "ww==" });
  });

  it("maps: objects for scalar keys, pairs otherwise; sets as arrays; structs keep IDL order and drop unset fields", () => {
    expect(toJson(field("counts"), new Map([["a", 1n]]))).toEqual({ a: 1 });
    expect(toJson(field("labels"), new Map([[{ x: 1, y: 2 }, "p"]]))).toEqual([[{ x: 1, y: 2 }, "p"]]);
    expect(toJson(field("tags"), new Set(["x"]))).toEqual(["x"]);
    expect(toJson(field("ratio"), Number.POSITIVE_INFINITY)).toBe("Infinity");
    expect(JSON.stringify(toJson(everything, { text: "t", flag: false, small: undefined }))).toBe('{"flag":false,"text":"t"}');
  });

  it("round-trips: toJson's output is fromJson's input", () => {
    const value = { big: 2n ** 62n, blob: Buffer.from([0, 255]), counts: new Map([["k", -1n]]), labels: new Map([[{ x: 1, y: 1 }, "a"]]), color: "RED" };
    const once = toJson(everything, value);
    expect(toJson(everything, fromJson(everything, JSON.parse(JSON.stringify(once)), "v"))).toEqual(once);
  });
});
