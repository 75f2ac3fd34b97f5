import { ChecksumType, computeChecksum } from "./checksum.js";
import { FLAG_MORE_FRAGMENTS, MAX_ARG1_SIZE } from "./constants.js";
import { ArgTooLargeError, ChecksumMismatchError, FragmentationError, type FrameError, MessageTooLargeError, PartialMessageLimitError } from "./errors.js";
import { FrameType } from "./frame-type.js";
import type { ArgsFrame, CallReqFrame, CallResFrame } from "./frame.js";
import { IdTable } from "./id-table.js";

/** A whole call message: its first frame (for ttl, service, headers, code...) and its three args. */
export interface AssembledMessage<F extends CallReqFrame | CallResFrame = CallReqFrame | CallResFrame> {
  frame: F;
  args: [Buffer, Buffer, Buffer];
}

export interface MessageAssemblerOptions {
  /** Largest arg accepted, in bytes; larger ones fail with ArgTooLargeError. Default 64 MiB. */
  maxArgSize?: number;
  /**
   * Largest message (arg1 + arg2 + arg3) accepted, in bytes, or a function that decides it from a
   * message's first frame (e.g. by service and endpoint); larger ones fail with
   * MessageTooLargeError as soon as the bytes received cross it. Default: no limit but `maxArgSize`.
   * Streamed messages (`streamFor`) are the sink's to bound.
   */
  maxMessageSize?: number | ((first: CallReqFrame | CallResFrame) => number);
  /** Unfinished fragmented messages held at once; one more fails with PartialMessageLimitError. Default: no limit. */
  maxPartialMessages?: number;
  /**
   * Bytes held by unfinished messages together. A message that would take them over fails with
   * PartialMessageLimitError, unless it is the only one (then only its own limits apply). Default: no limit.
   */
  maxPartialBytes?: number;
  /** Verify checksums (spec §8 makes it optional; tchannel-node, -go and -python do). Default true. */
  verifyChecksums?: boolean;
  /**
   * Called with the first frame of each message: return a sink to receive that message's args as
   * they arrive (a streamed body) instead of reassembled. Streamed args have no size limit beyond
   * arg1's; the sink bounds its own memory.
   */
  streamFor?: (first: CallReqFrame | CallResFrame) => ArgSink | undefined;
}

/** Receives a streamed message's arg bytes in wire order (see MessageAssemblerOptions.streamFor). */
export interface ArgSink {
  /**
   * Bytes of arg `index` (0-2), owned by the sink (never a reused buffer); `argEnds` when this is
   * the arg's last chunk. Every arg ends once, in order, even when empty.
   */
  chunk(index: number, bytes: Buffer, argEnds: boolean): void;
}

interface PartialMessage {
  frame: CallReqFrame | CallResFrame;
  continueType: number;
  checksumType: ChecksumType;
  checksum: number;
  /** Index of the arg the next chunk belongs to (0-2). */
  argIndex: number;
  /** Finished args, and the one being built (see ArgBuilder). */
  args: [Buffer, Buffer, Buffer];
  builder: ArgBuilder | null;
  sizes: [number, number, number];
  sink: ArgSink | undefined;
  /** Bytes of args received (held, unless streamed), and the most this message may have. */
  total: number;
  limit: number;
  /** `performance.now()` after which the sender has given up on it (its TTL); Infinity for responses. */
  deadline: number;
}

const EMPTY = Buffer.alloc(0);

/**
 * An arg spanning frames, copied once into a buffer that doubles when full (at most one more copy
 * of what it held). The finished arg is a view of it, trimmed (copied) when it would hold more
 * than twice its size, so memory stays within 2x of the bytes received.
 */
class ArgBuilder {
  buf: Buffer;
  filled = 0;

  constructor(capacity: number) {
    this.buf = Buffer.allocUnsafeSlow(capacity);
  }

  add(chunk: Uint8Array, limit: number): void {
    const need = this.filled + chunk.length;
    if (need > this.buf.length) {
      let capacity = this.buf.length * 2;
      while (capacity < need) capacity *= 2;
      const grown = Buffer.allocUnsafeSlow(Math.max(need, Math.min(capacity, limit)));
      this.buf.copy(grown, 0, 0, this.filled);
      this.buf = grown;
    }
    this.buf.set(chunk, this.filled);
    this.filled = need;
  }

  finish(): Buffer {
    const arg = this.buf.subarray(0, this.filled);
    return this.filled * 2 < this.buf.length ? Buffer.from(arg) : arg;
  }
}

/**
 * The first buffer of an arg spanning frames holds five of its first chunk (a frame's worth,
 * ~64 KiB, for a large arg): 256 KiB args fit without growing.
 */
const FIRST_CAPACITY_CHUNKS = 5;

/**
 * Reassembles fragmented call messages (spec §9) for one direction of one connection: feed it
 * every call req + call req continue frame (or call res + call res continue) in wire order.
 * Enforces the rules: arg1 whole in the first frame with the start of arg2, continue frames only
 * for a message in progress, one checksum type per message, the running checksum of every frame,
 * exactly three args, and a size limit per arg. Any violation throws a FrameError carrying the id,
 * and that message's state is dropped; other messages are unaffected.
 */
export class MessageAssembler {
  /**
   * Not a Map (issue 18): one entry per fragmented message, i.e. per large call, and a Map's
   * replaced backing stores would keep the messages and their reassembly buffers alive through
   * scavenges (see IdTable).
   */
  readonly #partial = new IdTable<PartialMessage>();
  readonly #maxArgSize: number;
  readonly #verify: boolean;
  readonly #streamFor: MessageAssemblerOptions["streamFor"];
  /**
   * Ids of messages rejected mid-way whose remaining fragments are swallowed, with their continue
   * type. A Map for its insertion order (the oldest is evicted first); it only takes an entry when
   * a message is rejected or expires, never per call, so it does not churn like #partial would.
   */
  readonly #dropped = new Map<number, number>();
  readonly #maxMessageSize: number | ((first: CallReqFrame | CallResFrame) => number);
  readonly #maxPartialMessages: number;
  readonly #maxPartialBytes: number;
  /** Bytes held by unfinished (not streamed) messages. */
  #bytes = 0;

  constructor(options: MessageAssemblerOptions = {}) {
    this.#maxArgSize = options.maxArgSize ?? 64 * 1024 * 1024;
    this.#maxMessageSize = options.maxMessageSize ?? Number.POSITIVE_INFINITY;
    this.#maxPartialMessages = options.maxPartialMessages ?? Number.POSITIVE_INFINITY;
    this.#maxPartialBytes = options.maxPartialBytes ?? Number.POSITIVE_INFINITY;
    this.#verify = options.verifyChecksums ?? true;
    this.#streamFor = options.streamFor;
  }

  /** Messages started but not yet complete. */
  get pending(): number {
    return this.#partial.size;
  }

  /** Whether a message with this id is being reassembled. */
  has(id: number): boolean {
    return this.#partial.has(id);
  }

  /** Bytes held by messages started but not yet complete. */
  get pendingBytes(): number {
    return this.#bytes;
  }

  /** Forgets a partial message (its caller gave up, or an error frame ended it). */
  discard(id: number): void {
    const state = this.#partial.get(id);
    if (state !== undefined) this.#remove(id, state);
    this.#dropped.delete(id);
  }

  /** The earliest TTL deadline (`performance.now()` time) of an unfinished message; Infinity if none. */
  get nextDeadline(): number {
    let next = Number.POSITIVE_INFINITY;
    for (const state of this.#partial.values()) if (state.deadline < next) next = state.deadline;
    return next;
  }

  /**
   * Drops every unfinished message whose TTL has passed at `now` (a `performance.now()` time) and
   * returns their first frames, so the owner can answer them; their late fragments are swallowed.
   */
  expire(now: number): (CallReqFrame | CallResFrame)[] {
    const expired: (CallReqFrame | CallResFrame)[] = [];
    for (const state of this.#partial.values()) {
      if (state.deadline > now) continue;
      const id = state.frame.id;
      this.#remove(id, state);
      this.#drop(id, state.continueType);
      expired.push(state.frame);
    }
    return expired;
  }

  /**
   * Returns the message once its last frame arrives; undefined while more frames are due, and
   * for a streamed message (its sink got the args). `transient`: the frame's bytes are reused
   * after this call (FrameReader's reuseSplitFrames), so whatever is kept is copied.
   */
  push(frame: ArgsFrame, transient = false): AssembledMessage | undefined {
    const more = (frame.flags & FLAG_MORE_FRAGMENTS) !== 0;
    if (frame.type === FrameType.CallReq || frame.type === FrameType.CallRes) {
      if (this.#partial.has(frame.id)) {
        this.#remove(frame.id, this.#partial.get(frame.id)!);
        throw this.#rejected(new FragmentationError(`message id ${frame.id} is already in progress`, frame.id, frame.type), frame, more);
      }
      this.#dropped.delete(frame.id);
      if (frame.type === FrameType.CallReq && (frame.args[0]?.length ?? 0) > MAX_ARG1_SIZE) {
        throw this.#rejected(new ArgTooLargeError(1, frame.args[0]!.length, MAX_ARG1_SIZE, frame.id, frame.type), frame, more);
      }
      const sink = this.#streamFor?.(frame);
      const limit = sink !== undefined ? Number.POSITIVE_INFINITY : typeof this.#maxMessageSize === "number" ? this.#maxMessageSize : this.#maxMessageSize(frame);
      if (!more && sink === undefined) return this.#whole(frame, transient, limit);
      if (more && frame.args.length < 2) {
        throw this.#rejected(new FragmentationError("arg1 must be complete in the first frame, followed by the start of arg2", frame.id, frame.type), frame, more);
      }
      if (more && this.#partial.size >= this.#maxPartialMessages) {
        throw this.#rejected(new PartialMessageLimitError(`${this.#partial.size} unfinished messages already (the limit)`, frame.id, frame.type), frame, more);
      }
      const state: PartialMessage = {
        frame,
        continueType: frame.type === FrameType.CallReq ? FrameType.CallReqContinue : FrameType.CallResContinue,
        checksumType: frame.checksumType,
        checksum: 0,
        argIndex: 0,
        args: [EMPTY, EMPTY, EMPTY],
        builder: null,
        sizes: [0, 0, 0],
        sink,
        total: 0,
        limit,
        deadline: frame.type === FrameType.CallReq ? performance.now() + frame.ttl : Number.POSITIVE_INFINITY,
      };
      // The frame's fields outlive it (the tracing bytes are a view): copy them from a reused buffer.
      if (transient) state.frame = Object.assign({}, frame, { tracing: Buffer.from(frame.tracing), args: [] });
      if (more) this.#partial.set(frame.id, state);
      this.#absorb(state, frame, more, transient);
      if (!more) return this.#finish(state, frame);
      return undefined;
    }
    const state = this.#partial.get(frame.id);
    if (state === undefined || state.continueType !== frame.type) {
      if (state === undefined && this.#dropped.get(frame.id) === frame.type) {
        // The rest of a message already answered: swallow it, up to its last fragment.
        if (!more) this.#dropped.delete(frame.id);
        return undefined;
      }
      throw new FragmentationError(`continue frame for id ${frame.id}, which has no message in progress`, frame.id, frame.type);
    }
    if (frame.checksumType !== state.checksumType) {
      this.#remove(frame.id, state);
      throw this.#rejected(new FragmentationError(`checksum type changed from ${state.checksumType} to ${frame.checksumType} mid-message`, frame.id, frame.type), frame, more);
    }
    this.#absorb(state, frame, more, transient);
    if (more) return undefined;
    this.#remove(frame.id, state);
    return this.#finish(state, frame);
  }

  #finish(state: PartialMessage, frame: ArgsFrame): AssembledMessage | undefined {
    if (state.argIndex !== 3) {
      throw new FragmentationError(`message ended with ${state.argIndex} of 3 args`, frame.id, frame.type);
    }
    if (state.sink !== undefined) return undefined;
    return { frame: state.frame, args: state.args };
  }

  /** An unfragmented message: the common case, with no state and no copies (one if transient). */
  #whole(frame: CallReqFrame | CallResFrame, transient: boolean, limit: number): AssembledMessage {
    if (this.#verify) this.#checkChecksum(frame, 0);
    const [a1, a2, a3] = frame.args as [Uint8Array, Uint8Array, Uint8Array];
    for (let i = 0; i < 3; i++) {
      const n = frame.args[i]!.length;
      if (n > this.#maxArgSize) throw new ArgTooLargeError(i + 1, n, this.#maxArgSize, frame.id, frame.type);
    }
    const total = a1.length + a2.length + a3.length;
    if (total > limit) throw new MessageTooLargeError(total, limit, frame.id, frame.type);
    if (transient) {
      // One copy of the frame's bytes that outlive it: args and tracing.
      const copy = Object.assign({}, frame, { tracing: Buffer.from(frame.tracing) });
      copy.args = [Buffer.from(a1), Buffer.from(a2), Buffer.from(a3)];
      return { frame: copy, args: copy.args as [Buffer, Buffer, Buffer] };
    }
    // Decoded frames carry Buffers already: their args array is the message's, uncopied.
    if (Buffer.isBuffer(a1) && Buffer.isBuffer(a2) && Buffer.isBuffer(a3)) return { frame, args: frame.args as [Buffer, Buffer, Buffer] };
    return { frame, args: [asBuffer(a1), asBuffer(a2), asBuffer(a3)] };
  }

  #absorb(state: PartialMessage, frame: ArgsFrame, more: boolean, transient: boolean): void {
    if (this.#verify) {
      try {
        this.#checkChecksum(frame, state.checksum);
      } catch (err) {
        this.#remove(frame.id, state);
        throw this.#rejected(err as FrameError, frame, more);
      }
    }
    state.checksum = frame.checksum ?? 0;
    const chunks = frame.args;
    let bytes = 0;
    for (let k = 0; k < chunks.length; k++) bytes += chunks[k]!.length;
    if (state.total + bytes > state.limit) {
      this.#remove(frame.id, state);
      throw this.#rejected(new MessageTooLargeError(state.total + bytes, state.limit, frame.id, frame.type), frame, more);
    }
    if (state.sink === undefined && this.#bytes + bytes > this.#maxPartialBytes && this.#partial.size > 1) {
      const held = this.#bytes;
      this.#remove(frame.id, state);
      throw this.#rejected(new PartialMessageLimitError(`unfinished messages would hold ${held + bytes} bytes, over the limit of ${this.#maxPartialBytes}`, frame.id, frame.type), frame, more);
    }
    for (let k = 0; k < chunks.length; k++) {
      if (state.argIndex > 2) {
        this.#remove(frame.id, state);
        throw this.#rejected(new FragmentationError("more than 3 args", frame.id, frame.type), frame, more);
      }
      const chunk = chunks[k]!;
      const i = state.argIndex;
      const size = state.sizes[i]! + chunk.length;
      if (size > this.#maxArgSize && (state.sink === undefined || i === 0)) {
        this.#remove(frame.id, state);
        throw this.#rejected(new ArgTooLargeError(i + 1, size, this.#maxArgSize, frame.id, frame.type), frame, more);
      }
      state.sizes[i] = size;
      state.total += chunk.length;
      // Only a message in the map holds bytes (an unfragmented streamed one never enters it).
      if (state.sink === undefined && this.#partial.get(frame.id) === state) this.#bytes += chunk.length;
      // Every chunk but a fragmented frame's last one completes its arg (spec §9).
      const ends = k < chunks.length - 1 || !more;
      if (state.sink !== undefined) {
        state.sink.chunk(i, chunk.length === 0 ? EMPTY : transient ? Buffer.from(chunk) : asBuffer(chunk), ends);
      } else if (state.builder !== null) {
        state.builder.add(chunk, this.#maxArgSize);
        if (ends) {
          state.args[i] = state.builder.finish();
          state.builder = null;
        }
      } else if (ends || chunk.length === 0) {
        // A whole arg in one chunk (or the empty first chunk of one): a view, or one copy.
        if (chunk.length > 0) state.args[i] = transient ? Buffer.from(chunk) : asBuffer(chunk);
      } else {
        state.builder = new ArgBuilder(Math.min(Math.max(FIRST_CAPACITY_CHUNKS * chunk.length, 64 * 1024), this.#maxArgSize));
        state.builder.add(chunk, this.#maxArgSize);
      }
      if (ends) state.argIndex++;
    }
  }

  /** Forgets an unfinished message and the bytes it held. */
  #remove(id: number, state: PartialMessage): void {
    if (this.#partial.get(id) !== state) return;
    this.#partial.delete(id);
    if (state.sink === undefined) this.#bytes -= state.total;
  }

  /** A message rejected at `frame`: if more fragments follow, they are swallowed. Returns `err`. */
  #rejected(err: FrameError, frame: ArgsFrame, more: boolean): FrameError {
    if (more) this.#drop(frame.id, frame.type === FrameType.CallReq || frame.type === FrameType.CallReqContinue ? FrameType.CallReqContinue : FrameType.CallResContinue);
    return err;
  }

  #drop(id: number, continueType: number): void {
    this.#dropped.set(id, continueType);
    // Bounded: a peer that abandons rejected messages cannot grow this; the oldest go first.
    const cap = Number.isFinite(this.#maxPartialMessages) ? this.#maxPartialMessages : 1024;
    if (this.#dropped.size > cap) this.#dropped.delete(this.#dropped.keys().next().value!);
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

