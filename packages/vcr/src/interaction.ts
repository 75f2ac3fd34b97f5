import type { InterceptedChannel, RawCallOptions } from "@tchannel/channel";

/**
 * A recorded request: tchannel-python's VCRProxy `Request` (field names as in its cassettes).
 * `headers` and `body` are the raw arg2 and arg3, whatever the scheme.
 */
export interface CassetteRequest {
  serviceName: string;
  endpoint: string;
  headers: Buffer;
  body: Buffer;
  /** The call's `hostPort` option, "" when it had none. Not matched by default (ephemeral ports). */
  hostPort: string;
  /** The arg scheme: "raw", "json", "thrift" (or another name). */
  argScheme: string;
  /** The transport headers the call set (`as`, `cn`, and `re`/`sk`/`rd`/extras when given). */
  transportHeaders: Array<{ key: string; value: string }>;
  /** The channel's known peers when the call was made. */
  knownPeers: string[];
}

/** A protocol error that ended the call (our extension of the format; tchannel-python records none). */
export interface RecordedError {
  /** The error frame code (spec §10), e.g. 3 for Busy. */
  code: number;
  /** The error's class name, e.g. "BusyError" (keeps subclasses such as InvalidChecksumError). */
  type: string;
  message: string;
}

/** A recorded response: code 0 (success) or 1 (application error), raw arg2 and arg3. */
export interface CassetteResponse {
  code: number;
  headers: Buffer;
  body: Buffer;
  error?: RecordedError;
}

/** What the nearest recorded interaction to an unmatched call is, for the error. */
export interface ClosestInteraction {
  /** Its position in the cassette file, from 0. */
  index: number;
  request: CassetteRequest;
  /** The matchers it fails. */
  differsIn: string[];
  /** It matched, but was replayed already in this session (each interaction replays once). */
  played: boolean;
}

export interface Interaction {
  request: CassetteRequest;
  response: CassetteResponse;
}

const EMPTY = Buffer.alloc(0);

function bytes(value: Uint8Array | undefined): Buffer {
  if (value === undefined) return EMPTY;
  // A copy: the caller may reuse its buffer after the call.
  return Buffer.from(value);
}

/** The request as a cassette sees it (the same for a TChannel and a SyncTChannel). */
export function requestOf(options: RawCallOptions, channel: InterceptedChannel): CassetteRequest {
  const transportHeaders = [
    { key: "as", value: options.scheme },
    { key: "cn", value: options.callerName ?? channel.name },
  ];
  if (options.retryOn !== undefined) transportHeaders.push({ key: "re", value: options.retryOn });
  if (options.shardKey !== undefined) transportHeaders.push({ key: "sk", value: options.shardKey });
  if (options.routingDelegate !== undefined) transportHeaders.push({ key: "rd", value: options.routingDelegate });
  if (options.transportHeaders) for (const key in options.transportHeaders) transportHeaders.push({ key, value: options.transportHeaders[key]! });
  return {
    serviceName: options.service,
    endpoint: typeof options.arg1 === "string" ? options.arg1 : Buffer.from(options.arg1).toString("utf8"),
    headers: bytes(options.arg2),
    body: bytes(options.arg3),
    hostPort: options.hostPort ?? "",
    argScheme: options.scheme,
    transportHeaders,
    knownPeers: [...channel.knownPeers],
  };
}

/** Bytes shown in messages: printable text as a quoted string, anything else as hex. */
export function showBytes(value: Buffer, limit = 160): string {
  const printable = value.every((b) => (b >= 0x20 && b < 0x7f) || b === 0x09 || b === 0x0a || b === 0x0d);
  if (printable) {
    const text = value.toString("latin1");
    return text.length > limit ? `${JSON.stringify(text.slice(0, limit))}... (${value.length} bytes)` : JSON.stringify(text);
  }
  const hex = value.subarray(0, limit / 2).toString("hex");
  return `<${value.length} bytes: ${hex}${value.length > limit / 2 ? "..." : ""}>`;
}

/** One line per field, for error messages. */
export function showRequest(request: CassetteRequest, indent = "    "): string {
  const headers = request.transportHeaders.map((h) => `${h.key}=${h.value}`).join(" ");
  return [
    `serviceName: ${JSON.stringify(request.serviceName)}`,
    `endpoint: ${JSON.stringify(request.endpoint)}`,
    `argScheme: ${request.argScheme}`,
    `headers: ${showBytes(request.headers)}`,
    `body: ${showBytes(request.body)}`,
    `hostPort: ${JSON.stringify(request.hostPort)}`,
    `transportHeaders: ${headers}`,
  ]
    .map((line) => indent + line)
    .join("\n");
}
