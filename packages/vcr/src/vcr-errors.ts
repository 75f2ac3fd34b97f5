import type { CassetteRequest, ClosestInteraction } from "./interaction.js";

/**
 * Errors of the cassette machinery itself. They are not TChannelErrors on purpose: code under
 * test that handles remote failures (retries, fallbacks) must not mistake "the cassette has no
 * such call" for one.
 */
export class VcrError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A call matched no recorded interaction, and the record mode forbids recording it. */
export class CannotRecordInteractionsError extends VcrError {
  readonly code = "VCR_CANNOT_RECORD";
  constructor(
    message: string,
    /** The call that matched nothing. */
    readonly call: CassetteRequest,
    /** The recorded interaction nearest to it, if the cassette has any. */
    readonly closest: ClosestInteraction | undefined,
  ) {
    super(message);
  }
}

/** The cassette file is not a cassette: bad YAML, a forbidden tag or key, or fields of the wrong type. */
export class CassetteFormatError extends VcrError {
  readonly code = "VCR_BAD_CASSETTE";
}

/** The cassette's `version` is not one this library reads (1). */
export class UnsupportedCassetteVersionError extends VcrError {
  readonly code = "VCR_UNSUPPORTED_VERSION";
}
