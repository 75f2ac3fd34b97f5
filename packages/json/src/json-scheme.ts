import { type ArgScheme, type EncodableArg, type OutgoingArg, type SchemeClient, type TChannel, TRACING_HEADER_PREFIX } from "@tchannel/channel";

/** JSON application headers: an object of strings (spec §15.2). */
export type JsonHeaders = Record<string, string>;

const EMPTY = Buffer.alloc(0);

/**
 * The json scheme (spec §15.2): arg2 is a JSON object of string headers, arg3 any JSON value.
 * Empty args read as "no value" (headers `{}`, body `null`), as every TChannel accepts them;
 * we write `{}`/`null` rather than nothing so older peers parse them too.
 */
export const jsonScheme: ArgScheme<unknown, JsonHeaders> = {
  name: "json",
  encodeHeaders(headers) {
    if (headers === undefined) return Buffer.from("{}");
    // What decodeHeaders (ours and every peer's) refuses is refused here, before it is sent.
    if (typeof headers !== "object" || headers === null || Array.isArray(headers)) throw new TypeError(`json headers must be an object of strings, got ${Array.isArray(headers) ? "an array" : headers === null ? "null" : typeof headers}`);
    for (const key in headers) {
      if (typeof headers[key] !== "string") throw new TypeError(`json header ${JSON.stringify(key)} must be a string`);
    }
    return Buffer.from(JSON.stringify(headers));
  },
  decodeHeaders(bytes) {
    if (bytes.length === 0) return {};
    const value: unknown = JSON.parse(bytes.toString("utf8"));
    if (value === null) return {};
    if (typeof value !== "object" || Array.isArray(value)) throw new TypeError("json headers must be an object");
    const headers: JsonHeaders = Object.create(null);
    for (const [k, v] of Object.entries(value)) {
      if (typeof v !== "string") throw new TypeError(`json header ${JSON.stringify(k)} is not a string`);
      // A tracer's context (tchannel-go, tchannel-python, @tchannel/opentelemetry), not the application's.
      if (!k.startsWith(TRACING_HEADER_PREFIX)) headers[k] = v;
    }
    return headers;
  },
  encodeBody(body) {
    const text = bodyText(body);
    return text.length === 0 ? EMPTY : Buffer.from(text);
  },
  // A handler's answer: its UTF-8 bytes written straight into the call res frame (issue 18), not
  // into a Buffer of their own (one ArrayBuffer per body above 4 KiB) that the frame then copies.
  encodeBodyArg(body): OutgoingArg {
    return new JsonText(bodyText(body));
  },
  decodeBody(bytes) {
    if (bytes.length === 0) return null;
    return JSON.parse(bytes.toString("utf8"));
  },
};

/** A body's JSON text; throws for what is not JSON. */
function bodyText(body: unknown): string {
  if (body === undefined) return "null";
  const text = JSON.stringify(body);
  // JSON.stringify returns undefined for functions and symbols: not JSON.
  if (text === undefined) throw new TypeError(`a ${typeof body} is not JSON`);
  return text;
}

/** JSON text as an arg written into the frame: its UTF-8 length now, its bytes in place. */
class JsonText implements EncodableArg {
  readonly size: number;
  readonly #text: string;
  constructor(text: string) {
    this.#text = text;
    this.size = Buffer.byteLength(text, "utf8");
  }
  writeInto(buf: Buffer, offset: number): number {
    // Whole characters only, and exactly `size` bytes in the room the frame left for them.
    return offset + buf.write(this.#text, offset, this.size, "utf8");
  }
}

/** `tchannel.json`: call with the json scheme, and register json handlers. */
export function jsonClient(channel: TChannel): SchemeClient<unknown, JsonHeaders> {
  return channel.scheme(jsonScheme);
}
