import { type ArgScheme, type SchemeClient, type TChannel, TRACING_HEADER_PREFIX } from "@tchannel/channel";

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
    if (body === undefined) return Buffer.from("null");
    const text = JSON.stringify(body);
    // JSON.stringify returns undefined for functions and symbols: not JSON.
    if (text === undefined) throw new TypeError(`a ${typeof body} is not JSON`);
    return text.length === 0 ? EMPTY : Buffer.from(text);
  },
  decodeBody(bytes) {
    if (bytes.length === 0) return null;
    return JSON.parse(bytes.toString("utf8"));
  },
};

/** `tchannel.json`: call with the json scheme, and register json handlers. */
export function jsonClient(channel: TChannel): SchemeClient<unknown, JsonHeaders> {
  return channel.scheme(jsonScheme);
}
