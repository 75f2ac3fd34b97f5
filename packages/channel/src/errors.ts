import { ErrorCode, errorCodeName } from "@tchannel/frame";

/**
 * Whether a failed call may be tried again (tchannel-python's classes, seed 003):
 * - `retryable`: the callee did no work (busy, declined, no peer); always safe elsewhere;
 * - `maybe-retryable`: the call may have run (timeout, unexpected, network); retry if idempotent;
 * - `not-retryable`: it can never succeed as sent.
 */
export type RetryCategory = "retryable" | "maybe-retryable" | "not-retryable";

/** What a call was, for error messages: users of older TChannels complained of bare "TimeoutError". */
export interface CallDescription {
  service?: string | undefined;
  endpoint?: string | undefined;
  hostPort?: string | undefined;
  ttl?: number | undefined;
}

/** The call a caller's options name, for an error about them: what of `service` and `endpoint` is a string. */
export function describedCall(service: unknown, endpoint: unknown): CallDescription {
  return { service: typeof service === "string" ? service : undefined, endpoint: typeof endpoint === "string" ? endpoint : undefined };
}

/** The base of every error a TChannel call or server raises. */
export abstract class TChannelError extends Error {
  /** A stable string for control flow, e.g. `TCHANNEL_TIMEOUT`. */
  abstract readonly code: string;
  /** The error frame code (spec §10) this error travels as, if any. */
  abstract readonly wireCode: number | undefined;
  abstract readonly retry: RetryCategory;
  service: string | undefined;
  endpoint: string | undefined;
  hostPort: string | undefined;
  ttl: number | undefined;
  /**
   * True when the remote peer answered the call with this error (an error frame, spec §10);
   * false when it arose here (a local timeout, a refused connection, no peer, a cancel). A
   * cassette records only the peer's answers.
   */
  fromPeer = false;

  constructor(message: string, call: CallDescription = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.service = call.service;
    this.endpoint = call.endpoint;
    this.hostPort = call.hostPort;
    this.ttl = call.ttl;
  }

  /** The error with the call it belongs to named in its message (used when it reaches the caller). */
  describe(call: CallDescription): this {
    this.service ??= call.service;
    this.endpoint ??= call.endpoint;
    this.hostPort ??= call.hostPort;
    this.ttl ??= call.ttl;
    const parts: string[] = [];
    if (this.service !== undefined) parts.push(`service=${JSON.stringify(this.service)}`);
    if (this.endpoint !== undefined) parts.push(`endpoint=${JSON.stringify(this.endpoint)}`);
    if (this.hostPort !== undefined) parts.push(`peer=${this.hostPort}`);
    if (this.ttl !== undefined) parts.push(`ttl=${this.ttl}ms`);
    if (parts.length > 0 && !this.message.includes(" (service=")) this.message = `${this.message} (${parts.join(" ")})`;
    return this;
  }
}

abstract class ProtocolCodeError extends TChannelError {
  readonly wireCode: number;
  constructor(wireCode: number, message: string, call?: CallDescription, options?: { cause?: unknown }) {
    super(message, call, options);
    this.wireCode = wireCode;
  }
}

/** 0x01: no answer within the TTL. */
export class TimeoutError extends ProtocolCodeError {
  readonly code = "TCHANNEL_TIMEOUT";
  readonly retry = "maybe-retryable";
  constructor(message = "request timed out", call?: CallDescription, options?: { cause?: unknown }) {
    super(ErrorCode.Timeout, message, call, options);
  }
}

/** 0x02: cancelled by the caller. */
export class CancelledError extends ProtocolCodeError {
  readonly code = "TCHANNEL_CANCELLED";
  readonly retry = "not-retryable";
  constructor(message = "request cancelled", call?: CallDescription, options?: { cause?: unknown }) {
    super(ErrorCode.Cancelled, message, call, options);
  }
}

/** 0x03: the callee is overloaded. */
export class BusyError extends ProtocolCodeError {
  readonly code = "TCHANNEL_BUSY";
  readonly retry = "retryable";
  constructor(message = "busy", call?: CallDescription, options?: { cause?: unknown }) {
    super(ErrorCode.Busy, message, call, options);
  }
}

/** 0x04: declined, e.g. by a channel that is closing. */
export class DeclinedError extends ProtocolCodeError {
  readonly code = "TCHANNEL_DECLINED";
  readonly retry = "retryable";
  constructor(message = "declined", call?: CallDescription, options?: { cause?: unknown }) {
    super(ErrorCode.Declined, message, call, options);
  }
}

/** 0x05: the handler failed; the call may have run. */
export class UnexpectedError extends ProtocolCodeError {
  readonly code = "TCHANNEL_UNEXPECTED";
  readonly retry = "maybe-retryable";
  constructor(message = "unexpected error", call?: CallDescription, options?: { cause?: unknown }) {
    super(ErrorCode.Unexpected, message, call, options);
  }
}

/** 0x06: the request can never succeed as sent (unknown endpoint, undecodable args...). */
export class BadRequestError extends ProtocolCodeError {
  readonly code: string = "TCHANNEL_BAD_REQUEST";
  readonly retry = "not-retryable";
  constructor(message = "bad request", call?: CallDescription, options?: { cause?: unknown }) {
    super(ErrorCode.BadRequest, message, call, options);
  }
}

/**
 * A local mistake: a public entry point got an argument of the wrong type or out of range (a
 * number for `service`, `timeout: "5000"`, `retryOn: "zz"`, an unknown option), or a value its
 * scheme cannot encode (a body JSON cannot hold, a thrift field of the wrong type). Raised at the
 * call site, before anything is sent. Not a BadRequestError: that one (code 6) means a peer
 * refused the call, and this never travels on the wire. The same class in the async and the
 * sync client.
 */
export class InvalidArgumentError extends TChannelError {
  readonly code: string = "TCHANNEL_INVALID_ARGUMENT";
  readonly wireCode = undefined;
  readonly retry = "not-retryable";
  constructor(message = "invalid argument", call?: CallDescription, options?: { cause?: unknown }) {
    super(message, call, options);
  }
}

/** 0x07: a socket-level failure (connect refused, connection lost mid-call). */
export class NetworkError extends ProtocolCodeError {
  readonly code = "TCHANNEL_NETWORK";
  readonly retry = "maybe-retryable";
  constructor(message = "network error", call?: CallDescription, options?: { cause?: unknown }) {
    super(ErrorCode.NetworkError, message, call, options);
  }
}

/** 0x08: a relay refused to forward to an unhealthy node. */
export class UnhealthyError extends ProtocolCodeError {
  readonly code = "TCHANNEL_UNHEALTHY";
  readonly retry = "not-retryable";
  constructor(message = "unhealthy", call?: CallDescription, options?: { cause?: unknown }) {
    super(ErrorCode.Unhealthy, message, call, options);
  }
}

/** 0xff: the peer broke the protocol; the connection is closed. */
export class FatalProtocolError extends ProtocolCodeError {
  readonly code: string = "TCHANNEL_FATAL";
  readonly retry = "not-retryable";
  constructor(message = "fatal protocol error", call?: CallDescription, options?: { cause?: unknown }) {
    super(ErrorCode.FatalProtocol, message, call, options);
  }
}

/** A frame's checksum did not match its args. */
export class InvalidChecksumError extends FatalProtocolError {
  override readonly code = "TCHANNEL_INVALID_CHECKSUM";
}

/** No peer could be chosen for the call (none known, or all tried). */
export class NoAvailablePeerError extends TChannelError {
  readonly code = "TCHANNEL_NO_PEER";
  readonly wireCode = undefined;
  readonly retry = "retryable";
}

/** `listen()` on another address than the one already listening. */
export class AlreadyListeningError extends TChannelError {
  readonly code = "TCHANNEL_ALREADY_LISTENING";
  readonly wireCode = undefined;
  readonly retry = "not-retryable";
}

/** A call made on a closed channel. */
export class ChannelClosedError extends TChannelError {
  readonly code = "TCHANNEL_CLOSED";
  readonly wireCode = undefined;
  readonly retry = "not-retryable";
}

const BY_WIRE_CODE: Record<number, new (message?: string, call?: CallDescription) => TChannelError> = {
  [ErrorCode.Timeout]: TimeoutError,
  [ErrorCode.Cancelled]: CancelledError,
  [ErrorCode.Busy]: BusyError,
  [ErrorCode.Declined]: DeclinedError,
  [ErrorCode.Unexpected]: UnexpectedError,
  [ErrorCode.BadRequest]: BadRequestError,
  [ErrorCode.NetworkError]: NetworkError,
  [ErrorCode.Unhealthy]: UnhealthyError,
  [ErrorCode.FatalProtocol]: FatalProtocolError,
};

/**
 * The error for an error frame. An unknown code (which kills tchannel-node, known-hazards #3)
 * becomes a FatalProtocolError naming it.
 */
export function errorFromWire(code: number, message: string, call?: CallDescription): TChannelError {
  const Cls = BY_WIRE_CODE[code];
  if (Cls === undefined) return new FatalProtocolError(`error frame with unknown code ${errorCodeName(code)}: ${message}`, call);
  return new Cls(message, call);
}

/** The error for an error frame the peer sent in answer to a call: `errorFromWire`, marked `fromPeer`. */
export function errorFromPeer(code: number, message: string, call?: CallDescription): TChannelError {
  const err = errorFromWire(code, message, call);
  err.fromPeer = true;
  return err;
}

/** A class of this package's errors, as `new Cls(message, call, { cause })` makes one. */
export type TChannelErrorClass = new (message?: string, call?: CallDescription, options?: { cause?: unknown }) => TChannelError;

/**
 * Every error class of this package by its `name`, to rebuild an error that travelled as data
 * (from a worker thread, from a cassette file) as the very class it was.
 */
export const ERROR_CLASSES_BY_NAME: Readonly<Record<string, TChannelErrorClass>> = Object.freeze({
  TimeoutError,
  CancelledError,
  BusyError,
  DeclinedError,
  UnexpectedError,
  BadRequestError,
  NetworkError,
  UnhealthyError,
  FatalProtocolError,
  InvalidChecksumError,
  InvalidArgumentError,
  NoAvailablePeerError: NoAvailablePeerError as TChannelErrorClass,
  AlreadyListeningError: AlreadyListeningError as TChannelErrorClass,
  ChannelClosedError: ChannelClosedError as TChannelErrorClass,
});
