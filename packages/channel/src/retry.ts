import type { TChannelError } from "./errors.js";
import { ErrorCode } from "@tchannel/frame";

/**
 * Retry flags, sent as the `re` transport header (spec §7, §13; tchannel-python `tchannel.retry`):
 * `c` retries connection-level failures (the default), `t` timeouts, `ct` both, `n` never.
 */
export type RetryOn = "c" | "t" | "ct" | "tc" | "n";

export const RETRY_CONNECTION_ERROR: RetryOn = "c";
export const RETRY_TIMEOUT: RetryOn = "t";
export const RETRY_CONNECTION_ERROR_AND_TIMEOUT: RetryOn = "ct";
export const RETRY_NEVER: RetryOn = "n";
export const DEFAULT_RETRY_ON: RetryOn = RETRY_CONNECTION_ERROR;
/** Retries in addition to the first attempt (tchannel-python's DEFAULT_RETRY_LIMIT). */
export const DEFAULT_RETRY_LIMIT = 4;

/**
 * Whether a failed attempt should be tried again, as tchannel-node/-python/-java classify
 * (spec §13): busy and declined always; timeout with `t`; unexpected, network and fatal with `c`;
 * never bad request, cancelled or unhealthy; nothing with `n`.
 */
export function shouldRetry(error: TChannelError, retryOn: RetryOn): boolean {
  if (retryOn === "n") return false;
  if (error.retry === "retryable") return true;
  switch (error.wireCode) {
    case ErrorCode.Timeout:
      return retryOn.includes("t");
    case ErrorCode.Unexpected:
    case ErrorCode.NetworkError:
    case ErrorCode.FatalProtocol:
      return retryOn.includes("c");
    default:
      return false;
  }
}
