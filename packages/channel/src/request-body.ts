import { type EncodableArg, FrameEncodeError } from "@tchannel/frame";

/**
 * The key of `TChannel`'s method for the schemes of this repository (@tchannel/thrift): a call
 * whose body (arg3) is an `EncodableArg` written straight into the call req frame instead of
 * bytes the channel copies there (issue 18). Not part of the API: `RawCallOptions.arg3` stays
 * bytes for everything that reads it (call interceptors, diagnostics subscribers, the sync
 * client, the VCR), and the body becomes bytes (`RequestBody.bytes`) before any of them sees it.
 * @internal
 */
export const CALL_WITH_BODY_ARG: unique symbol = Symbol("tchannel.callWithBodyArg");

/**
 * A request's body as the attempts of one call send it: the scheme's arg, written into the first
 * attempt's frame in the tick of `call()` (so the caller's value is read when the call starts, as
 * when it was encoded to bytes there), and from then on the bytes that write left in that frame:
 * a retry sends exactly what the first attempt sent, whatever the caller changed since. Outgoing
 * frames are never written again once built (frame-slab.ts), so a view of one stays as written.
 * A call whose first attempt waits for a connection takes its bytes at once (`bytes()`).
 */
export class RequestBody implements EncodableArg {
  readonly size: number;
  #arg: EncodableArg | undefined;
  /** Where the first write left the bytes (kept as buffer and offset: no view made per call). */
  #written: Buffer | undefined;
  #at = 0;

  constructor(arg: EncodableArg) {
    this.size = arg.size;
    this.#arg = arg;
  }

  writeInto(buf: Buffer, offset: number): number {
    const written = this.#written;
    if (written !== undefined) return offset + written.copy(buf, offset, this.#at, this.#at + this.size);
    let end: number;
    try {
      end = this.#arg!.writeInto(buf, offset);
    } catch (err) {
      // The value changed since it was sized (a getter, say): the caller's mistake, typed as one.
      throw new FrameEncodeError(`cannot write the request body: ${(err as Error)?.message ?? String(err)}`);
    }
    if (end === offset + this.size) {
      this.#written = buf;
      this.#at = offset;
      this.#arg = undefined; // the caller's value is no longer held
    }
    return end;
  }

  /** The body's bytes: those of the frame it was written into, or written now into a buffer of their own. */
  bytes(): Uint8Array {
    if (this.#written === undefined) {
      const buf = Buffer.allocUnsafe(this.size);
      const end = this.writeInto(buf, 0);
      if (end !== this.size) throw new FrameEncodeError(`the request body declared ${this.size} bytes but wrote ${end}`);
    }
    return this.#written!.subarray(this.#at, this.#at + this.size);
  }
}

/** The bytes of a scheme's request body (for what reads arg3 as bytes); a bad arg throws FrameEncodeError. */
export function requestBodyBytes(arg: EncodableArg): Uint8Array {
  return arg instanceof RequestBody ? arg.bytes() : new RequestBody(arg).bytes();
}
