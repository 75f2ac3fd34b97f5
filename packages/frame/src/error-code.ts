/** Codes carried by error frames (spec §10). */
export const ErrorCode = {
  /** 0x01: no response within the TTL. */
  Timeout: 0x01,
  /** 0x02: the request was cancelled with a cancel frame. */
  Cancelled: 0x02,
  /** 0x03: the callee is overloaded; safe to retry elsewhere. */
  Busy: 0x03,
  /** 0x04: declined for reasons other than load (e.g. draining); safe to retry elsewhere. */
  Declined: 0x04,
  /** 0x05: the handler failed; the call may have executed. */
  Unexpected: 0x05,
  /** 0x06: the request can never succeed as sent (bad args, unknown endpoint). */
  BadRequest: 0x06,
  /** 0x07: a socket-level failure. */
  NetworkError: 0x07,
  /** 0x08: a relay refused to forward to an unhealthy node. */
  Unhealthy: 0x08,
  /** 0xff: fatal protocol error; the connection closes after this frame. */
  FatalProtocol: 0xff,
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const NAMES: Record<number, string> = {};
for (const [name, code] of Object.entries(ErrorCode)) NAMES[code] = name;

/** Whether a byte is one of the error codes the protocol defines (0x00 "invalid" is not). */
export function isKnownErrorCode(code: number): code is ErrorCode {
  return NAMES[code] !== undefined;
}

export function errorCodeName(code: number): string {
  return NAMES[code] ?? `0x${code.toString(16).padStart(2, "0")}`;
}
