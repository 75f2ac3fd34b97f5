/** Frame type codes (spec §3). */
export const FrameType = {
  /** 0x01: first frame of a connection, sent by the initiator. */
  InitReq: 0x01,
  /** 0x02: the responder's answer to init req. */
  InitRes: 0x02,
  /** 0x03: first frame of a call request. */
  CallReq: 0x03,
  /** 0x04: first frame of a call response. */
  CallRes: 0x04,
  /** 0x13: further fragments of a call request. */
  CallReqContinue: 0x13,
  /** 0x14: further fragments of a call response. */
  CallResContinue: 0x14,
  /** 0xc0: asks the callee to abandon an outstanding request. */
  Cancel: 0xc0,
  /** 0xc1: claim for speculative execution; implemented nowhere, parsed only. */
  Claim: 0xc1,
  /** 0xd0: connectivity check. */
  PingReq: 0xd0,
  /** 0xd1: answer to a ping, same id. */
  PingRes: 0xd1,
  /** 0xff: protocol-level failure of a message, or of the connection with id 0xffffffff. */
  Error: 0xff,
} as const;

export type FrameType = (typeof FrameType)[keyof typeof FrameType];

const NAMES: Record<number, string> = {};
for (const [name, code] of Object.entries(FrameType)) NAMES[code] = name;

/** A readable name for a frame type byte, for messages and logs. */
export function frameTypeName(type: number): string {
  return NAMES[type] ?? `0x${type.toString(16).padStart(2, "0")}`;
}

export function isKnownFrameType(type: number): type is FrameType {
  return NAMES[type] !== undefined;
}
