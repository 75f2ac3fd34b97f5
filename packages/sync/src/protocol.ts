// What the calling thread and the worker say to each other. Requests and replies go through a
// MessagePort; the worker bumps a counter in shared memory after each reply, and the caller
// sleeps on that counter with Atomics.wait, then takes the reply with receiveMessageOnPort.
import type { MessagePort } from "node:worker_threads";
import type { CallDescription, RawCallOptions, TChannelOptions } from "@tchannel/channel";

/** Int32 slots of the shared buffer. */
export const SEQ = 0; // bumped by the worker after every message it posts
export const STATE = 1; // RUNNING, or DEAD once the worker is going away
export const RUNNING = 0;
export const DEAD = 1;

export interface WorkerInit {
  port: MessagePort;
  shared: SharedArrayBuffer;
  options: TChannelOptions;
  /** Extension modules to import at start (URLs; see worker-extension.ts). */
  extensions: string[];
  /** Routers for calls without hostPort (`SyncTChannel.setRouters`), set before the first call. */
  routers: string[];
}

/** `RawCallOptions` as it crosses threads: no AbortSignal. */
export type WireCallOptions = Omit<RawCallOptions, "signal">;

export type WorkerRequest = { id: number } & (
  | { op: "call"; options: WireCallOptions }
  | { op: "invoke"; name: string; args: unknown }
  | { op: "setRouters"; routers: string[] }
  | { op: "close" }
  | { op: "test:crash" }
  | { op: "test:hang"; ms: number }
);

export type WorkerReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: WireError }
  /** Sent once, as the worker dies (uncaught exception or exit); id 0. */
  | { id: 0; crashed: WireError };

/** An error as it crosses threads; the caller re-creates the same class. */
export interface WireError {
  name: string;
  message: string;
  code?: string;
  wireCode?: number;
  /** TChannelError.fromPeer: the remote peer answered with it (a cassette records only those). */
  fromPeer?: boolean;
  call?: CallDescription;
  /** ThriftCodecError's path. */
  path?: string;
  cause?: WireError;
}

export function serializeError(err: unknown, depth = 0): WireError {
  if (!(err instanceof Error)) return { name: "Error", message: String(err) };
  const e = err as Error & Record<string, unknown>;
  const out: WireError = { name: e.name, message: e.message };
  if (typeof e.code === "string") out.code = e.code;
  if (typeof e.wireCode === "number") out.wireCode = e.wireCode;
  if (e.fromPeer === true) out.fromPeer = true;
  if (typeof e.path === "string") out.path = e.path;
  const call: CallDescription = {};
  for (const k of ["service", "endpoint", "hostPort", "ttl"] as const) if (e[k] !== undefined) (call as Record<string, unknown>)[k] = e[k];
  if (Object.keys(call).length > 0) out.call = call;
  if (e.cause !== undefined && depth < 4) out.cause = serializeError(e.cause, depth + 1);
  return out;
}

/** Transferring an ArrayBuffer costs about 10-20 µs; below this size, cloning (a copy) is cheaper. */
const TRANSFER_MIN_BYTES = 64 * 1024;

/**
 * Bytes ready to cross threads: a Buffer is often a view into a larger ArrayBuffer (Node's 8 KB
 * pool, or a socket read), which structured clone would copy whole. Such views (and, when
 * `owned`, every buffer: nobody else holds it) are copied into a buffer of their own, which is
 * moved rather than cloned (listed in `transfer`) when it is large.
 */
export function compactBytes(bytes: Uint8Array, transfer: ArrayBuffer[], owned: boolean): Uint8Array {
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  if (whole && !owned) return bytes;
  if (bytes.byteLength < TRANSFER_MIN_BYTES) return whole ? bytes : new Uint8Array(bytes);
  const copy = new Uint8Array(bytes);
  transfer.push(copy.buffer);
  return copy;
}

export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
