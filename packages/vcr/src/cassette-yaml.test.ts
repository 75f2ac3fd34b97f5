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
  it("round-trips any bytes, every bytes field as !!binary as Python 3 writes it", () => {
    const bodies = [Buffer.from("plain text"), Buffer.from("no"), Buffer.from("on"), Buffer.from("1"), Buffer.from(""), Buffer.from("  lead and trail \n"), Buffer.from("é ü"), Buffer.from([0, 1, 2, 0x7f, 0x80, 0xff])];
    for (let i = 0; i < 50; i++) bodies.push(Buffer.from(Array.from({ length: i * 7 }, (_, j) => (j * 131 + i) & 0xff)));
    const text = serializeCassette(bodies.map((b) => interaction(b)));
    const back = parseCassette(text, "t.yaml");
    expect(back.map((i) => i.request.body.toString("hex"))).toEqual(bodies.map((b) => b.toString("hex")));
    expect(back[0]).toEqual(interaction(bodies[0]!));
    expect(text).not.toMatch(/body: [^!]/);
    expect(text).toContain('body: !!binary ""');
  });

  it("writes what tchannel-python writes: sorted keys, argScheme as VCRProxy's enum, bytes as !!binary, version 1", () => {
    const text = serializeCassette([interaction(Buffer.from("b"), { argScheme: "json" })]);
    expect(text).toBe(`interactions:
- request:
    argScheme: 1
    body: !!binary |
      Yg==
    endpoint: "ep"
    headers: !!binary ""
    hostPort: !!binary |
      MTI3LjAuMC4xOjQwNDA=
    knownPeers:
    - !!binary |
      MTI3LjAuMC4xOjE=
    serviceName: "svc"
    transportHeaders:
    - key: !!binary |
        YXM=
      value: !!binary |
        dGhyaWZ0
    - key: !!binary |
        Y24=
      value: !!binary |
        bWU=
  response:
    body: !!binary |
      /wA=
    code: 1
    headers: !!binary |
      aA==
version: 1
`);
  });

  it("writes base64 in lines of 76 characters, as PyYAML does", () => {
    const text = serializeCassette([interaction(Buffer.alloc(100, 7))]);
    const lines = text.split("\n").filter((l) => /^\s+Bw/.test(l));
    expect(lines.map((l) => l.trim().length)).toEqual([76, 60]);
  });

  it("reads string fields as strings whatever they look like, as PyYAML writes them plain", () => {
    for (const word of ["e1", "1e3", "+1e5", "1e+3", "09", "y", "n", "Y", "N", "yes", "off", "0x1", "1_000", "12:30", ".inf", "2001-12-14", "true"]) {
      const text = `interactions:\n- request:\n    argScheme: 0\n    body: ${word}\n    endpoint: ${word}\n    serviceName: ${word}\n    headers: !!binary ""\n  response:\n    body: ${word}\n    code: 0\nversion: 1\n`;
      const [i] = parseCassette(text, "py.yaml");
      expect([i!.request.endpoint, i!.request.serviceName, i!.request.body.toString(), i!.response.body.toString()]).toEqual([word, word, word, word]);
    }
  });

  it("reads explicit !!str, !!int and Python 3's !!python/bytes", () => {
    const [i] = parseCassette(
      "interactions:\n- request:\n    argScheme: !!int 2\n    body: !!python/bytes aGk=\n    endpoint: !!str 09\n    serviceName: !!python/unicode 's'\n  response:\n    body: ''\n    code: !!int '1'\nversion: !!int 1\n",
      "t.yaml",
    );
    expect([i!.request.argScheme, i!.request.body.toString(), i!.request.endpoint, i!.request.serviceName, i!.response.code]).toEqual(["thrift", "hi", "09", "s", 1]);
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

  it("refuses corrupt cassettes with one CassetteFormatError naming the interaction, the field, what was found and what was expected", () => {
    const one = (request: string, response = "{code: 0, body: ''}") => `interactions:\n- request: {serviceName: s, endpoint: e, body: b}\n  response: {code: 0, body: ''}\n- request: ${request}\n  response: ${response}\nversion: 1\n`;
    const cases: Array<[string, string]> = [
      ["interactions: [\nversion: 1", "not valid YAML"],
      ["- just\n- a list\n", "expected a mapping with version and interactions, found a list"],
      [one("{endpoint: e, body: b}"), "interaction #2 (interactions[1]), field request.serviceName: found nothing (the field is missing), expected a string"],
      [one("{serviceName: s, endpoint: e, body: b}", "{code: 7, body: ''}"), 'interaction #2 (interactions[1]), field response.code: found "7", expected 0 (success) or 1 (application error)'],
      [one("{serviceName: s, endpoint: e, body: b}", "{code: true, body: ''}"), 'field response.code: found "true", expected 0 (success) or 1 (application error)'],
      [one("{serviceName: s, endpoint: e, body: [1, 2]}"), "interaction #2 (interactions[1]), field request.body: found a list, expected bytes (!!binary) or a string"],
      [one("{serviceName: s, endpoint: [e], body: b}"), "field request.endpoint: found a list, expected a string"],
      [one("{serviceName: s, endpoint: e, body: b, argScheme: 7}"), 'field request.argScheme: found "7", expected 0 (raw), 1 (json), 2 (thrift) or a scheme name'],
      [one("{serviceName: s, endpoint: e, body: b, transportHeaders: [{key: as}]}"), "field request.transportHeaders[0].value: found nothing (the field is missing), expected bytes (!!binary) or a string"],
      ["interactions: {a: 1}\nversion: 1\n", "field interactions: found a mapping, expected a list of interactions"],
      ["a: 1\na: 2\nversion: 1\n", "not valid YAML"],
    ];
    for (const [text, message] of cases) {
      let err: unknown;
      try {
        parseCassette(text, "bad.yaml");
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CassetteFormatError);
      expect((err as Error).message).toContain(`cassette bad.yaml`);
      expect((err as Error).message).toContain(message);
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
