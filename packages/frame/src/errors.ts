import { frameTypeName } from "./frame-type.js";

/**
 * Base class of every error this package throws on bad input. `code` is stable and meant for
 * control flow; `frameId`/`frameType` say which frame failed when that much could be read.
 * `fatal` means the byte stream itself cannot be trusted any more (the connection must close);
 * a non-fatal error spoils one frame or message, and the frames after it can still be read.
 */
export abstract class FrameError extends Error {
  abstract readonly code: string;
  abstract readonly fatal: boolean;
  readonly frameId: number | undefined;
  readonly frameType: number | undefined;

  constructor(message: string, frameId?: number, frameType?: number) {
    super(frameType === undefined ? message : `${frameTypeName(frameType)} frame ${frameId}: ${message}`);
    this.name = new.target.name;
    this.frameId = frameId;
    this.frameType = frameType;
  }
}

/** The `size` field of a frame header is below 16 or above the reader's limit (spec §2). */
export class FrameSizeError extends FrameError {
  readonly code = "TCHANNEL_FRAME_SIZE";
  readonly fatal = true;
  constructor(readonly size: number, readonly limit: number) {
    super(size < 16 ? `frame size ${size} is below the 16-byte header` : `frame size ${size} exceeds the limit of ${limit}`);
  }
}

/** The type byte is not a TChannel v2 frame type (spec §3); tchannel-node closes the connection. */
export class UnknownFrameTypeError extends FrameError {
  readonly code = "TCHANNEL_FRAME_UNKNOWN_TYPE";
  readonly fatal = false;
  constructor(readonly type: number, frameId: number) {
    super(`unknown frame type 0x${type.toString(16).padStart(2, "0")} (id ${frameId})`, frameId);
  }
}

/** A field of the payload runs past the end of the frame ("short frame", "bad length"). */
export class TruncatedFrameError extends FrameError {
  readonly code = "TCHANNEL_FRAME_TRUNCATED";
  readonly fatal = false;
  constructor(readonly field: string, needed: number, available: number, frameId?: number, frameType?: number) {
    super(`${field} needs ${needed} bytes but only ${available} remain`, frameId, frameType);
  }
}

/** A payload that parses but breaks a rule of the protocol (bad ttl, trailing bytes, bad flags...). */
export class MalformedFrameError extends FrameError {
  readonly code = "TCHANNEL_FRAME_MALFORMED";
  readonly fatal = false;
  constructor(readonly reason: string, frameId?: number, frameType?: number) {
    super(reason, frameId, frameType);
  }
}

export type HeaderProblem = "duplicate" | "empty-key" | "key-too-long" | "too-many";

/** A transport or init header map breaks the rules of spec §4/§7. */
export class InvalidHeaderError extends FrameError {
  readonly code = "TCHANNEL_FRAME_HEADER";
  readonly fatal = false;
  constructor(readonly problem: HeaderProblem, readonly key: string | undefined, detail: string, frameId?: number, frameType?: number) {
    super(detail, frameId, frameType);
  }
}

/** The checksum type byte is not one of 0x00-0x03 (spec §8). */
export class UnsupportedChecksumError extends FrameError {
  readonly code = "TCHANNEL_FRAME_CHECKSUM_TYPE";
  readonly fatal = false;
  constructor(readonly checksumType: number, frameId?: number, frameType?: number) {
    super(`unknown checksum type ${checksumType}`, frameId, frameType);
  }
}

/** The checksum carried by a frame does not match its args (spec §8). */
export class ChecksumMismatchError extends FrameError {
  readonly code = "TCHANNEL_FRAME_CHECKSUM";
  readonly fatal = false;
  constructor(readonly expected: number, readonly actual: number, frameId?: number, frameType?: number) {
    super(
      `checksum mismatch: frame carries 0x${actual.toString(16).padStart(8, "0")}, args give 0x${expected.toString(16).padStart(8, "0")}`,
      frameId,
      frameType,
    );
  }
}

/** Frames of a fragmented message break the reassembly rules of spec §9. */
export class FragmentationError extends FrameError {
  readonly code = "TCHANNEL_FRAME_FRAGMENTATION";
  readonly fatal = false;
  constructor(readonly reason: string, frameId?: number, frameType?: number) {
    super(reason, frameId, frameType);
  }
}

/** An arg (or a whole message) is larger than the receiver accepts. */
export class ArgTooLargeError extends FrameError {
  readonly code = "TCHANNEL_FRAME_ARG_TOO_LARGE";
  readonly fatal = false;
  constructor(readonly arg: number, readonly size: number, readonly limit: number, frameId?: number, frameType?: number) {
    super(`arg${arg} of ${size} bytes exceeds the limit of ${limit}`, frameId, frameType);
  }
}

/** A message (its three args together) is larger than the receiver accepts for it. */
export class MessageTooLargeError extends FrameError {
  readonly code = "TCHANNEL_FRAME_MESSAGE_TOO_LARGE";
  readonly fatal = false;
  constructor(readonly size: number, readonly limit: number, frameId?: number, frameType?: number) {
    super(`message of ${size} bytes or more exceeds the limit of ${limit} bytes`, frameId, frameType);
  }
}

/**
 * Starting or growing this message would break a bound on a connection's unfinished messages
 * (their count, or the bytes they hold together). The receiver is overloaded, not the message bad.
 */
export class PartialMessageLimitError extends FrameError {
  readonly code = "TCHANNEL_FRAME_PARTIAL_LIMIT";
  readonly fatal = false;
  constructor(readonly reason: string, frameId?: number, frameType?: number) {
    super(reason, frameId, frameType);
  }
}

/** A frame object that cannot be written as given (a caller's mistake, not bad input). */
export class FrameEncodeError extends Error {
  readonly code = "TCHANNEL_FRAME_ENCODE";
  constructor(message: string) {
    super(message);
    this.name = "FrameEncodeError";
  }
}
