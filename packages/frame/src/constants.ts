/** Size of the frame header: `size:2 type:1 reserved:1 id:4 reserved:8` (spec §2). */
export const FRAME_HEADER_SIZE = 16;
/** Largest frame on the wire, header included (spec §2: `size` is a uint16). */
export const MAX_FRAME_SIZE = 0xffff;
/** Largest payload of one frame. */
export const MAX_PAYLOAD_SIZE = MAX_FRAME_SIZE - FRAME_HEADER_SIZE;
/** Message id reserved for error frames not tied to a message (spec §2). */
export const NULL_ID = 0xffffffff;
/** Largest message id a sender may use (spec §2, §14.2). */
export const MAX_MESSAGE_ID = 0xfffffffe;
/** Bytes of the tracing field: `spanid:8 parentid:8 traceid:8 traceflags:1` (spec §11). */
export const TRACING_SIZE = 25;
/** Protocol version carried in init req/res (spec §4). */
export const PROTOCOL_VERSION = 2;
/** arg1 must fit in 16 KiB (spec §5). */
export const MAX_ARG1_SIZE = 0x4000;
/** Transport header count limit (spec §7). */
export const MAX_TRANSPORT_HEADERS = 128;
/** Transport header key limit as the spec words it; tchannel-node accepts one byte less (§7). */
export const MAX_TRANSPORT_HEADER_KEY_SIZE = 16;
/** The key limit we write so tchannel-node does not kill the connection (spec §7, §19.3). */
export const MAX_SENT_TRANSPORT_HEADER_KEY_SIZE = 15;
/** Call flag: more fragments of this message follow (spec §5, §9). */
export const FLAG_MORE_FRAGMENTS = 0x01;
