import { describe, expect, it } from "@jest/globals";
import { ErrorCode } from "@tchannel/frame";
import { ERROR_CLASSES_BY_NAME, TChannelError, errorFromWire } from "./errors.js";

describe("error classes by name", () => {
  it("maps each name to the class of that name", () => {
    for (const [name, Cls] of Object.entries(ERROR_CLASSES_BY_NAME)) {
      const err = new Cls("m", { service: "s" });
      expect(err).toBeInstanceOf(TChannelError);
      expect(err.name).toBe(name);
      expect(err.service).toBe("s");
    }
  });

  it("holds the class of every protocol error code", () => {
    for (const code of [ErrorCode.Timeout, ErrorCode.Cancelled, ErrorCode.Busy, ErrorCode.Declined, ErrorCode.Unexpected, ErrorCode.BadRequest, ErrorCode.NetworkError, ErrorCode.Unhealthy, ErrorCode.FatalProtocol]) {
      const err = errorFromWire(code, "m");
      expect(ERROR_CLASSES_BY_NAME[err.name]).toBe(err.constructor);
    }
  });
});
