import { ChecksumType } from "@tchannel/frame";
import { z } from "zod";

/**
 * Options of `new TChannel(...)`, validated once at construction. Times are in milliseconds.
 * Strict: a key it does not know (`timout`) is an error, not silently ignored.
 */
export const TChannelOptionsSchema = z.strictObject({
  /** This service's name: sent as `cn`, the default service of registered handlers. */
  name: z.string().min(1).max(255),
  /**
   * `host:port` to listen on. Default 127.0.0.1 on an ephemeral port; a host of 0.0.0.0 binds every
   * interface and announces this machine's first IPv4 address.
   */
  hostPort: z.string().regex(/^.+:\d+$/, "expected host:port").optional(),
  /** Sent in init as `process_name`; default `<argv[1]>[<pid>]`. */
  processName: z.string().min(1).optional(),
  /** `host:port`s to choose from for calls without a `hostPort`. */
  knownPeers: z.array(z.string().regex(/^.+:\d+$/, "expected host:port")).default([]),
  /** Default call timeout (tchannel-python: 30 s). */
  timeout: z.number().int().positive().default(30_000),
  /** Checksum for outgoing calls (default CRC-32C, as tchannel-node and -python send). */
  checksumType: z
    .union([z.literal(ChecksumType.None), z.literal(ChecksumType.Crc32), z.literal(ChecksumType.Farmhash32), z.literal(ChecksumType.Crc32C)])
    .default(ChecksumType.Crc32C),
  /** Time allowed for the init handshake (tchannel-go and -python: 5 s). */
  initTimeout: z.number().int().positive().default(5_000),
  /**
   * A frame must arrive whole within this long of its first byte, or the connection closes with a
   * fatal error (known-hazards #4): a deadline, not an inactivity timer, so dribbling one byte at a
   * time does not hold a connection. Idle connections between frames are fine.
   */
  frameTimeout: z.number().int().positive().max(2 ** 31 - 1).default(30_000),
  /** The former name of `frameTimeout` (which was an inactivity timer, beaten by dribbling one byte at a time). */
  idleFrameTimeout: z.number().int().positive().max(2 ** 31 - 1).optional(),
  /**
   * Largest arg (arg2 or arg3) in either direction: received ones larger fail the message, and a
   * call or an answer with a larger one fails before it is encoded. 64 MiB, as before limits per
   * message existed; `maxRequestSize` is the tighter limit on what a server accepts.
   */
  maxArgSize: z.number().int().positive().default(64 * 1024 * 1024),
  /**
   * Largest call request this channel accepts, its three args together (per endpoint: the
   * `maxRequestSize` option of `register`). Buffering stops as soon as a request crosses it and the
   * caller gets BadRequest at once. 16 MiB by default: 4x gRPC's 4 MiB default, because TChannel has
   * no streaming, so a bulk payload has to arrive as one message.
   */
  maxRequestSize: z.number().int().positive().default(16 * 1024 * 1024),
  /**
   * Per connection, fragmented requests started and not yet finished; one more is answered Busy.
   * Our own sender and tchannel-node/-go finish a message before starting the next on one socket
   * or interleave a few, so 1 024 leaves a wide margin.
   */
  maxPartialMessages: z.number().int().positive().default(1024),
  /**
   * Per connection, bytes held by unfinished requests together (64 MiB: four requests of the
   * default maximum); a request that would take them over is answered Busy, unless it is the
   * only unfinished one (then `maxRequestSize` alone bounds it). Unfinished requests also expire
   * at their TTL, answered Timeout.
   */
  maxPartialBytes: z.number().int().positive().default(64 * 1024 * 1024),
  /** How long `close()` waits for inbound calls in progress. */
  drainTimeout: z.number().int().nonnegative().default(5_000),
});

/** The names of the TChannel options (layers above that add their own options, e.g. @tchannel/sync, extend this list). */
export const TCHANNEL_OPTION_NAMES: readonly string[] = Object.freeze(Object.keys(TChannelOptionsSchema.shape));

export type TChannelOptions = z.input<typeof TChannelOptionsSchema>;
export type ResolvedOptions = z.output<typeof TChannelOptionsSchema>;
