import type { FrameType } from "./frame-type.js";
import type { ChecksumType } from "./checksum.js";

/** Transport headers (`nh:1`, spec §7) or init headers (`nh:2`, spec §4): a null-prototype map. */
export type HeaderMap = Record<string, string>;

/** init req / init res (spec §4): `version:2 nh:2 (key~2 value~2){nh}`. */
export interface InitFrame {
  type: typeof FrameType.InitReq | typeof FrameType.InitRes;
  id: number;
  version: number;
  headers: HeaderMap;
}

/** Fields shared by every frame that carries arg chunks (spec §5, §6, §9). */
export interface ArgsFrameFields {
  id: number;
  /** Bit field; `FLAG_MORE_FRAGMENTS` (0x01) says the message continues in the next frame. */
  flags: number;
  checksumType: ChecksumType;
  /**
   * The frame's checksum, running over every arg byte of the message so far (spec §8).
   * Absent on encode means "compute it with seed 0", which is right for a single-frame message.
   */
  checksum?: number;
  /** The arg chunks this frame carries, in order; zero-copy views of the input when decoded. */
  args: Uint8Array[];
}

/** call req (spec §5): `flags:1 ttl:4 tracing:25 service~1 nh:1 (hk~1 hv~1){nh} csumtype:1 (csum:4){0,1} arg1~2 arg2~2 arg3~2`. */
export interface CallReqFrame extends ArgsFrameFields {
  type: typeof FrameType.CallReq;
  /** Milliseconds the caller still waits; must be > 0 (spec §12). */
  ttl: number;
  /** The 25 tracing bytes (spec §11). */
  tracing: Uint8Array;
  service: string;
  headers: HeaderMap;
}

/** call res (spec §6): `flags:1 code:1 tracing:25 nh:1 (hk~1 hv~1){nh} csumtype:1 (csum:4){0,1} arg1~2 arg2~2 arg3~2`. */
export interface CallResFrame extends ArgsFrameFields {
  type: typeof FrameType.CallRes;
  /** 0x00 OK, anything else an application error (spec §6). */
  code: number;
  tracing: Uint8Array;
  headers: HeaderMap;
}

/** call req continue / call res continue (spec §9): `flags:1 csumtype:1 (csum:4){0,1} {arg chunks}`. */
export interface ContinueFrame extends ArgsFrameFields {
  type: typeof FrameType.CallReqContinue | typeof FrameType.CallResContinue;
}

/** cancel (spec §10): `ttl:4 tracing:25 why~2`. */
export interface CancelFrame {
  type: typeof FrameType.Cancel;
  id: number;
  ttl: number;
  tracing: Uint8Array;
  why: string;
}

/** claim (spec §10): `ttl:4 tracing:25`. */
export interface ClaimFrame {
  type: typeof FrameType.Claim;
  id: number;
  ttl: number;
  tracing: Uint8Array;
}

/** ping req / ping res (spec §10): empty payload. */
export interface PingFrame {
  type: typeof FrameType.PingReq | typeof FrameType.PingRes;
  id: number;
}

/** error (spec §10): `code:1 tracing:25 message~2`. */
export interface ErrorFrame {
  type: typeof FrameType.Error;
  id: number;
  code: number;
  tracing: Uint8Array;
  message: string;
}

export type Frame =
  | InitFrame
  | CallReqFrame
  | CallResFrame
  | ContinueFrame
  | CancelFrame
  | ClaimFrame
  | PingFrame
  | ErrorFrame;

/** Frames that carry arg chunks and take part in fragmentation. */
export type ArgsFrame = CallReqFrame | CallResFrame | ContinueFrame;
