import { ChecksumType, computeChecksum } from "./checksum.js";
import { FLAG_MORE_FRAGMENTS, MAX_ARG1_SIZE } from "./constants.js";
import { ArgTooLargeError, ChecksumMismatchError, FragmentationError } from "./errors.js";
import { FrameType } from "./frame-type.js";
import type { ArgsFrame, CallReqFrame, CallResFrame } from "./frame.js";

/** A whole call message: its first frame (for ttl, service, headers, code...) and its three args. */
export interface AssembledMessage<F extends CallReqFrame | CallResFrame = CallReqFrame | CallResFrame> {
  frame: F;
  args: [Buffer, Buffer, Buffer];
}

export interface MessageAssemblerOptions {
  /** Largest arg accepted, in bytes; larger ones fail with ArgTooLargeError. Default 64 MiB. */
  maxArgSize?: number;
  /** Verify checksums (spec §8 makes it optional; tchannel-node, -go and -python do). Default true. */
  verifyChecksums?: boolean;
}

interface PartialMessage {
  frame: CallReqFrame | CallResFrame;
  continueType: number;
  checksumType: ChecksumType;
  checksum: number;
  /** Index of the arg the next chunk belongs to (0-2). */
  argIndex: number;
  parts: [Uint8Array[], Uint8Array[], Uint8Array[]];
  sizes: [number, number, number];
}

const EMPTY = Buffer.alloc(0);

/**
 * Reassembles fragmented call messages (spec §9) for one direction of one connection: feed it
 * every call req + call req continue frame (or call res + call res continue) in wire order.
 * Enforces the rules: arg1 whole in the first frame with the start of arg2, continue frames only
 * for a message in progress, one checksum type per message, the running checksum of every frame,
 * exactly three args, and a size limit per arg. Any violation throws a FrameError carrying the id,
 * and that message's state is dropped; other messages are unaffected.
 */
export class MessageAssembler {
  readonly #partial = new Map<number, PartialMessage>();
  readonly #maxArgSize: number;
  readonly #verify: boolean;

  constructor(options: MessageAssemblerOptions = {}) {
    this.#maxArgSize = options.maxArgSize ?? 64 * 1024 * 1024;
    this.#verify = options.verifyChecksums ?? true;
  }

  /** Messages started but not yet complete. */
  get pending(): number {
    return this.#partial.size;
  }

  /** Whether a message with this id is being reassembled. */
  has(id: number): boolean {
    return this.#partial.has(id);
  }

  /** Forgets a partial message (its caller gave up, or an error frame ended it). */
  discard(id: number): void {
    this.#partial.delete(id);
  }

  /** Returns the message once its last frame arrives; undefined while more frames are due. */
  push(frame: ArgsFrame): AssembledMessage | undefined {
    const more = (frame.flags & FLAG_MORE_FRAGMENTS) !== 0;
    if (frame.type === FrameType.CallReq || frame.type === FrameType.CallRes) {
      if (this.#partial.has(frame.id)) {
        this.#partial.delete(frame.id);
        throw new FragmentationError(`message id ${frame.id} is already in progress`, frame.id, frame.type);
      }
      if (frame.type === FrameType.CallReq && (frame.args[0]?.length ?? 0) > MAX_ARG1_SIZE) {
        throw new ArgTooLargeError(1, frame.args[0]!.length, MAX_ARG1_SIZE, frame.id, frame.type);
      }
      if (!more) return this.#whole(frame);
      if (frame.args.length < 2) {
        throw new FragmentationError("arg1 must be complete in the first frame, followed by the start of arg2", frame.id, frame.type);
      }
      const state: PartialMessage = {
        frame,
        continueType: frame.type === FrameType.CallReq ? FrameType.CallReqContinue : FrameType.CallResContinue,
        checksumType: frame.checksumType,
        checksum: 0,
        argIndex: 0,
        parts: [[], [], []],
        sizes: [0, 0, 0],
      };
      this.#partial.set(frame.id, state);
      this.#absorb(state, frame, true);
      return undefined;
    }
    const state = this.#partial.get(frame.id);
    if (state === undefined || state.continueType !== frame.type) {
      throw new FragmentationError(`continue frame for id ${frame.id}, which has no message in progress`, frame.id, frame.type);
    }
    if (frame.checksumType !== state.checksumType) {
      this.#partial.delete(frame.id);
      throw new FragmentationError(`checksum type changed from ${state.checksumType} to ${frame.checksumType} mid-message`, frame.id, frame.type);
    }
    this.#absorb(state, frame, more);
    if (more) return undefined;
    this.#partial.delete(frame.id);
    if (state.argIndex !== 3) {
      throw new FragmentationError(`message ended with ${state.argIndex} of 3 args`, frame.id, frame.type);
    }
    return { frame: state.frame, args: [join(state.parts[0]), join(state.parts[1]), join(state.parts[2])] };
  }

  /** An unfragmented message: the common case, with no state and no copies. */
  #whole(frame: CallReqFrame | CallResFrame): AssembledMessage {
    if (this.#verify) this.#checkChecksum(frame, 0);
    const [a1, a2, a3] = frame.args as [Uint8Array, Uint8Array, Uint8Array];
    for (let i = 0; i < 3; i++) {
      const n = frame.args[i]!.length;
      if (n > this.#maxArgSize) throw new ArgTooLargeError(i + 1, n, this.#maxArgSize, frame.id, frame.type);
    }
    // Decoded frames carry Buffers already: their args array is the message's, uncopied.
    if (Buffer.isBuffer(a1) && Buffer.isBuffer(a2) && Buffer.isBuffer(a3)) return { frame, args: frame.args as [Buffer, Buffer, Buffer] };
    return { frame, args: [asBuffer(a1), asBuffer(a2), asBuffer(a3)] };
  }

  #absorb(state: PartialMessage, frame: ArgsFrame, more: boolean): void {
    if (this.#verify) {
      try {
        this.#checkChecksum(frame, state.checksum);
      } catch (err) {
        this.#partial.delete(frame.id);
        throw err;
      }
    }
    state.checksum = frame.checksum ?? 0;
    const chunks = frame.args;
    for (let k = 0; k < chunks.length; k++) {
      if (state.argIndex > 2) {
        this.#partial.delete(frame.id);
        throw new FragmentationError("more than 3 args", frame.id, frame.type);
      }
      const chunk = chunks[k]!;
      const i = state.argIndex;
      const size = state.sizes[i]! + chunk.length;
      if (size > this.#maxArgSize) {
        this.#partial.delete(frame.id);
        throw new ArgTooLargeError(i + 1, size, this.#maxArgSize, frame.id, frame.type);
      }
      state.sizes[i] = size;
      if (chunk.length > 0) state.parts[i]!.push(chunk);
      // Every chunk but a fragmented frame's last one completes its arg (spec §9).
      if (k < chunks.length - 1 || !more) state.argIndex++;
    }
  }

  #checkChecksum(frame: ArgsFrame, seed: number): void {
    if (frame.checksumType === ChecksumType.None) return;
    const expected = computeChecksum(frame.checksumType, frame.args, seed);
    if (expected !== frame.checksum) throw new ChecksumMismatchError(expected, frame.checksum ?? 0, frame.id, frame.type);
  }
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function join(parts: Uint8Array[]): Buffer {
  if (parts.length === 0) return EMPTY;
  if (parts.length === 1) return asBuffer(parts[0]!);
  return Buffer.concat(parts);
}
