import { describe, expect, it } from "@jest/globals";
import { type CommandSpec, isHostPort, parseCommandLine, tchannelVersion } from "./command-line.js";

const SPEC: CommandSpec = {
  name: "keyvalue client",
  usage: "keyvalue client --peer host:port",
  options: { peer: { description: "the server" }, port: { short: "p", description: "a port" } },
};
const version = () => "9.9.9";

describe("the keyvalue command lines", () => {
  it("parse their options, skipping a leading -- as pnpm passes it", () => {
    expect(parseCommandLine(SPEC, ["--peer", "127.0.0.1:4040"], version)).toEqual({ values: { peer: "127.0.0.1:4040", port: undefined } });
    expect(parseCommandLine(SPEC, ["--", "--peer", "127.0.0.1:4040", "-p", "1"], version)).toEqual({ values: { peer: "127.0.0.1:4040", port: "1" } });
  });

  it("answer --help (also after --) with the usage and every option, exit 0", () => {
    for (const argv of [["--help"], ["-h"], ["--", "--help"]]) {
      const parsed = parseCommandLine(SPEC, argv, version);
      expect(parsed).toEqual({ exit: 0, text: expect.stringContaining("usage: keyvalue client --peer host:port") });
      if ("text" in parsed) expect(parsed.text).toMatch(/--peer <value>\s+the server/);
    }
  });

  it("answer --version with the tchannel-ts version", () => {
    expect(parseCommandLine(SPEC, ["--version"], version)).toEqual({ exit: 0, text: "keyvalue client (tchannel-ts 9.9.9)\n" });
    expect(tchannelVersion()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("turn an unknown flag, a missing value or a stray argument into one line plus the usage, exit 2", () => {
    for (const argv of [["--prot", "4040"], ["--peer"], ["extra"]]) {
      const parsed = parseCommandLine(SPEC, argv, version);
      expect(parsed).toEqual({ exit: 2, text: expect.stringMatching(/^keyvalue client: .+\nusage: keyvalue client/) });
      if ("text" in parsed) expect(parsed.text).not.toMatch(/\n\s+at /);
    }
    expect(parseCommandLine(SPEC, ["--prot", "4040"], version)).toMatchObject({ text: expect.stringContaining("'--prot'") });
  });

  it("tell a host:port from a bare port", () => {
    expect(isHostPort("127.0.0.1:4040")).toBe(true);
    expect(isHostPort("localhost:4040")).toBe(true);
    expect(isHostPort("[::1]:4040")).toBe(true);
    expect(isHostPort("4042")).toBe(false);
    expect(isHostPort(":4042")).toBe(false);
    expect(isHostPort("127.0.0.1:70000")).toBe(false);
  });
});
