import { optionsError } from "@tchannel/channel";
import { z } from "zod";

const hostPort = z.string().regex(/^[^:\s]+:\d{1,5}$/, "expected host:port");

/**
 * Options of `advertise()`, validated once at the public boundary. Times are in milliseconds.
 * Exactly one of `routers` and `routerFile` (tchannel-python raises ValueError otherwise).
 */
const AdvertiseFields = z
  .object({
    /** Hyperbahn routers to advertise to, `host:port` each. */
    routers: z.array(hostPort).min(1).optional(),
    /** A JSON file holding the routers as an array of `host:port` strings (the guide's host list). */
    routerFile: z.string().min(1).optional(),
    /** The service to advertise; default: the channel's name. */
    service: z.string().min(1).max(255).optional(),
    /** How long the first advertise may take, retries included (tchannel-python: 30 s). */
    timeout: z.number().int().positive().default(30_000),
    /** Time between re-advertisements (tchannel-python: every minute), jittered by ±20%. */
    interval: z.number().int().positive().default(60_000),
    /** Timeout of one `ad` call to a router (tchannel-node: 500 ms). */
    attemptTimeout: z.number().int().positive().default(1_000),
  })
  .strict();

export const AdvertiseOptionsSchema = AdvertiseFields.refine((o) => (o.routers === undefined) !== (o.routerFile === undefined), {
    message: "pass exactly one of routers and routerFile",
  });

/** The names of the advertise options (for "did you mean" in an error). */
export const ADVERTISE_OPTION_NAMES: readonly string[] = Object.freeze(Object.keys(AdvertiseFields.shape));

/**
 * The advertise options, validated; a mistake (a misspelt or unknown option, a bad value, both or
 * neither of routers and routerFile) is an InvalidArgumentError of one line, never a ZodError.
 */
export function parseAdvertiseOptions(options: unknown): ResolvedAdvertiseOptions {
  const parsed = AdvertiseOptionsSchema.safeParse(options);
  if (!parsed.success) throw optionsError("advertise options", parsed.error, options, ADVERTISE_OPTION_NAMES);
  return parsed.data;
}

export type AdvertiseOptions = z.input<typeof AdvertiseOptionsSchema>;
export type ResolvedAdvertiseOptions = z.output<typeof AdvertiseOptionsSchema>;
