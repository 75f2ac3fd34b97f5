import { describe, expect, it } from "@jest/globals";
import { InvalidHeaderError, MalformedFrameError, TruncatedFrameError } from "./errors.js";
import { decodeHeaderMap, encodeHeaderMap } from "./header-map.js";

describe("standalone header maps (Thrift arg2, spec §15.3)", () => {
  it("writes the spec's example and an empty map as 00 00", () => {
    expect(encodeHeaderMap({ k: "v" }).toString("hex")).toBe("000100016b000176");
    expect(encodeHeaderMap({}).toString("hex")).toBe("0000");
    expect(encodeHeaderMap({ cid: "hi" }, 1).toString("hex")).toBe("0103636964026869");
  });

  it("round-trips UTF-8 keys and values, skipping undefined values", () => {
    const headers = { "ключ": "значение", empty: "", skipped: undefined as unknown as string };
    expect({ ...decodeHeaderMap(encodeHeaderMap(headers)) }).toEqual({ "ключ": "значение", empty: "" });
  });

  it("rejects truncated maps, trailing bytes and duplicates", () => {
    expect(() => decodeHeaderMap(Buffer.from("0001000161", "hex"))).toThrow(TruncatedFrameError);
    expect(() => decodeHeaderMap(Buffer.from("000000", "hex"))).toThrow(MalformedFrameError);
    expect(() => decodeHeaderMap(Buffer.from("000200016100000001610000", "hex"))).toThrow(InvalidHeaderError);
    expect(() => decodeHeaderMap(Buffer.alloc(0))).toThrow(TruncatedFrameError);
  });
});
