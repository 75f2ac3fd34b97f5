import { describe, expect, it } from "@jest/globals";
import { BadRequestError, InvalidArgumentError, TChannelError } from "./errors.js";
import { parseHostPort } from "./host-port.js";
import { nearest } from "./options-error.js";
import { TChannel } from "./tchannel.js";

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected a throw");
}

describe("InvalidArgumentError", () => {
  it("is a local mistake of its own: no wire code, not retryable, not from a peer, not a BadRequest", () => {
    const err = new InvalidArgumentError("timeout must be a number");
    expect(err).toBeInstanceOf(TChannelError);
    expect(err).not.toBeInstanceOf(BadRequestError);
    expect(err).toMatchObject({ name: "InvalidArgumentError", code: "TCHANNEL_INVALID_ARGUMENT", wireCode: undefined, retry: "not-retryable", fromPeer: false });
    expect(new InvalidArgumentError().message).toBe("invalid argument");
    // The public helpers follow the same convention.
    expect(() => parseHostPort("nowhere")).toThrow(InvalidArgumentError);
  });
});

describe("new TChannel(options) is strict", () => {
  it("names an unknown option in one line, with the nearest known one", () => {
    const err = thrown(() => new TChannel({ name: "x", timout: 100 } as never));
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect(err.message).toBe('invalid TChannel options: unknown option "timout" (did you mean "timeout"?)');
    expect(thrown(() => new TChannel({ name: "x", knownPeer: [] } as never)).message).toMatch(/unknown option "knownPeer" \(did you mean "knownPeers"\?\)/);
    expect(thrown(() => new TChannel({ name: "x", maxargsize: 1 } as never)).message).toMatch(/unknown option "maxargsize" \(did you mean "maxArgSize"\?\)/);
    // Nothing near: the key alone.
    expect(thrown(() => new TChannel({ name: "x", colour: "red" } as never)).message).toBe('invalid TChannel options: unknown option "colour"');
    // Several problems, one line.
    const both = thrown(() => new TChannel({ name: "x", timout: 1, initTimeout: -1 } as never));
    expect(both.message).toMatch(/^invalid TChannel options: /);
    expect(both.message).toContain('unknown option "timout" (did you mean "timeout"?)');
    expect(both.message).toMatch(/initTimeout: .*\(got -1\)/);
    expect(both.message).not.toContain("\n");
  });

  it("still takes every documented option", async () => {
    const ch = new TChannel({
      name: "x",
      hostPort: "127.0.0.1:0",
      processName: "p",
      knownPeers: [],
      timeout: 1000,
      checksumType: 3,
      initTimeout: 1000,
      frameTimeout: 1000,
      idleFrameTimeout: 1000,
      maxArgSize: 1000,
      maxRequestSize: 1000,
      maxPartialMessages: 10,
      maxPartialBytes: 1000,
      drainTimeout: 10,
    });
    await ch.close();
  });
});

describe("nearest", () => {
  it("suggests a close name (a typo, a transposition, another case) and nothing for a far one", () => {
    const known = ["timeout", "initTimeout", "knownPeers", "name"];
    expect(nearest("timout", known)).toBe("timeout");
    expect(nearest("timeuot", known)).toBe("timeout");
    expect(nearest("TIMEOUT", known)).toBe("timeout");
    expect(nearest("initTimout", known)).toBe("initTimeout");
    expect(nearest("nmae", known)).toBe("name");
    expect(nearest("colour", known)).toBeUndefined();
    expect(nearest("x", [])).toBeUndefined();
  });
});
