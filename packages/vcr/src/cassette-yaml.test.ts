import { describe, expect, it } from "@jest/globals";
import { CassetteFormatError, UnsupportedCassetteVersionError, parseCassette, serializeCassette, type Interaction } from "./index.js";

function interaction(body: Buffer, overrides: Partial<Interaction["request"]> = {}): Interaction {
  return {
    request: {
      serviceName: "svc",
      endpoint: "ep",
      headers: Buffer.alloc(0),
      body,
      hostPort: "127.0.0.1:4040",
      argScheme: "thrift",
      transportHeaders: [
        { key: "as", value: "thrift" },
        { key: "cn", value: "me" },
      ],
      knownPeers: ["127.0.0.1:1"],
      ...overrides,
    },
    response: { code: 1, headers: Buffer.from("h"), body: Buffer.from([0xff, 0x00]) },
  };
}

describe("cassette YAML", () => {
  it("round-trips any bytes: text stays text, the rest is !!binary", () => {
    const bodies = [Buffer.from("plain text"), Buffer.from("no"), Buffer.from("on"), Buffer.from("1"), Buffer.from(""), Buffer.from("  lead and trail \n"), Buffer.from("é ü"), Buffer.from([0, 1, 2, 0x7f, 0x80, 0xff])];
    for (let i = 0; i < 50; i++) bodies.push(Buffer.from(Array.from({ length: i * 7 }, (_, j) => (j * 131 + i) & 0xff)));
    const text = serializeCassette(bodies.map((b) => interaction(b)));
    const back = parseCassette(text, "t.yaml");
    expect(back.map((i) => i.request.body.toString("hex"))).toEqual(bodies.map((b) => b.toString("hex")));
    expect(back[0]).toEqual(interaction(bodies[0]!));
    expect(text).toContain("body: plain text");
    expect(text).toContain('body: "no"'); // quoted, or PyYAML (YAML 1.1) would read false
    expect(text).toMatch(/body: !!binary/);
  });

  it("writes what tchannel-python writes: sorted keys, argScheme as VCRProxy's enum, version 1", () => {
    const text = serializeCassette([interaction(Buffer.from("b"), { argScheme: "json" })]);
    expect(text).toBe(`interactions:
- request:
    argScheme: 1
    body: b
    endpoint: ep
    headers: ""
    hostPort: 127.0.0.1:4040
    knownPeers:
    - 127.0.0.1:1
    serviceName: svc
    transportHeaders:
    - key: as
      value: thrift
    - key: cn
      value: me
  response:
    body: !!binary |-
      /wA=
    code: 1
    headers: h
version: 1
`);
  });

  it("reads tchannel-python's defaults for missing optional fields, and ignores unknown ones", () => {
    const [i] = parseCassette(
      "interactions:\n- request:\n    body: request body\n    endpoint: foo\n    headers: headers\n    serviceName: bar\n    futureField: 1\n  response:\n    body: response body\n    code: SUCCESS\nversion: '1'\n",
      "t.yaml",
    );
    expect(i!.request).toEqual({ serviceName: "bar", endpoint: "foo", headers: Buffer.from("headers"), body: Buffer.from("request body"), hostPort: "", argScheme: "raw", transportHeaders: [], knownPeers: [] });
    expect(i!.response).toEqual({ code: 0, headers: Buffer.alloc(0), body: Buffer.from("response body") });
  });

  it("reads an empty file (or an empty interactions list) as no interactions", () => {
    expect(parseCassette("", "t.yaml")).toEqual([]);
    expect(parseCassette("# nothing\n", "t.yaml")).toEqual([]);
    expect(parseCassette("interactions: []\nversion: 1\n", "t.yaml")).toEqual([]);
  });

  it("refuses other versions with UnsupportedCassetteVersionError", () => {
    expect(() => parseCassette("interactions: []\nversion: 2\n", "v2.yaml")).toThrow(UnsupportedCassetteVersionError);
    expect(() => parseCassette("interactions: []\nversion: 2\n", "v2.yaml")).toThrow("cassette v2.yaml is an unsupported version of the format: version 2");
    expect(() => parseCassette("interactions: []\n", "nov.yaml")).toThrow(/no version/);
  });

  it("refuses corrupt cassettes with CassetteFormatError naming the problem", () => {
    const cases: Array<[string, RegExp]> = [
      ["interactions: [\nversion: 1", /not valid YAML/],
      ["- just\n- a list\n", /expected a mapping/],
      ["interactions:\n- request: {endpoint: e, body: b}\n  response: {code: 0, body: ''}\nversion: 1\n", /interactions\[0\]\.request\.serviceName/],
      ["interactions:\n- request: {serviceName: s, endpoint: e, body: b}\n  response: {code: 7, body: ''}\nversion: 1\n", /interactions\[0\]\.response\.code/],
      ["interactions:\n- request: {serviceName: s, endpoint: e, body: [1, 2]}\n  response: {code: 0, body: ''}\nversion: 1\n", /request\.body/],
      ["a: 1\na: 2\nversion: 1\n", /not valid YAML/],
    ];
    for (const [text, message] of cases) {
      expect(() => parseCassette(text, "bad.yaml")).toThrow(CassetteFormatError);
      expect(() => parseCassette(text, "bad.yaml")).toThrow(message);
    }
  });

  it("runs no tags: PyYAML's object tags are refused, not constructed", () => {
    const evil = "interactions:\n- request:\n    serviceName: !!python/object/apply:os.system ['touch /tmp/pwned']\n    endpoint: e\n    body: b\n  response: {code: 0, body: ''}\nversion: 1\n";
    expect(() => parseCassette(evil, "evil.yaml")).toThrow(/Unresolved tag/);
    expect(() => parseCassette("x: !js/function 'function(){}'\nversion: 1\n", "evil.yaml")).toThrow(CassetteFormatError);
  });

  it("refuses prototype-polluting keys anywhere", () => {
    for (const key of ["__proto__", "constructor", "prototype"]) {
      const text = `interactions:\n- request: {serviceName: s, endpoint: e, body: b, ${key}: {polluted: true}}\n  response: {code: 0, body: ''}\nversion: 1\n`;
      expect(() => parseCassette(text, "p.yaml")).toThrow(new RegExp(`forbidden key "${key}" at interactions.0.request`));
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("bounds alias expansion (a billion laughs is an error, not an out-of-memory)", () => {
    const lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 9; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(", ")}]`);
    lines.push("version: 1");
    expect(() => parseCassette(lines.join("\n"), "bomb.yaml")).toThrow(CassetteFormatError);
  });
});
