// tcurl's exit codes. 1-8 and 124-126 are Uber's tcurl's (tcurl/exit-codes.js); 64 (EX_USAGE of
// sysexits.h) is ours, chosen so a usage mistake never reads as a protocol error code.
export const EXIT = {
  /** The call succeeded (and, with --health, the service says it is healthy). */
  OK: 0,
  // 1-8: the call failed with this TChannel error code (spec §10):
  // 1 timeout, 2 cancelled, 3 busy, 4 declined, 5 unexpected, 6 bad request, 7 network error, 8 unhealthy.
  /** A bad command line, IDL, peer list or body: nothing was sent. */
  USAGE: 64,
  /** --health: the service answered that it is not healthy. */
  HEALTH_NOT_OK: 124,
  /** A local failure with no TChannel error code (no peer available, channel closed, ...). */
  ERROR: 125,
  /** An application error: a declared thrift exception, or a json/raw response with status 1. */
  RESPONSE_NOT_OK: 126,
  /** The peer broke the protocol (error code 0xff). */
  FATAL_PROTOCOL: 255,
} as const;

/** A mistake in what the user asked for; becomes exit code 64 with `message` on stderr. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
