import { TChannelError } from "@tchannel/channel";

// tchannel-go's names for error frame codes (errors.go), so `error.type` and the `type` metric
// attribute read the same as Go's stats and logs.
const GO_NAMES: Record<number, string> = {
  0x01: "timeout",
  0x02: "cancelled",
  0x03: "busy",
  0x04: "declined",
  0x05: "unexpected-error",
  0x06: "bad-request",
  0x07: "network-error",
  0x08: "unhealthy",
  0xff: "protocol-error",
};

/** A low-cardinality name for why a call failed: the wire code's name, else the error's class. */
export function errorType(error: unknown): string {
  if (error instanceof TChannelError) {
    if (error.wireCode !== undefined) return GO_NAMES[error.wireCode] ?? `0x${error.wireCode.toString(16)}`;
    return error.name;
  }
  if (error instanceof Error) return error.name;
  return "Error";
}

/** The error frame code an error travels as, if any. */
export function wireCodeOf(error: unknown): number | undefined {
  return error instanceof TChannelError ? error.wireCode : undefined;
}

/** tchannel-go's name for an error frame code. */
export function errorTypeOfCode(code: number): string {
  return GO_NAMES[code] ?? `0x${code.toString(16)}`;
}
