import { ChecksumType } from "@tchannel/frame";
import { z } from "zod";

/** Options of `new TChannel(...)`, validated once at construction. Times are in milliseconds. */
export const TChannelOptionsSchema = z.object({
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
  /** A frame left half-sent for this long closes the connection (known-hazards #4). */
  idleFrameTimeout: z.number().int().positive().default(30_000),
  /** Largest arg accepted from the network. */
  maxArgSize: z.number().int().positive().default(64 * 1024 * 1024),
  /** How long `close()` waits for inbound calls in progress. */
  drainTimeout: z.number().int().nonnegative().default(5_000),
});

export type TChannelOptions = z.input<typeof TChannelOptionsSchema>;
export type ResolvedOptions = z.output<typeof TChannelOptionsSchema>;
