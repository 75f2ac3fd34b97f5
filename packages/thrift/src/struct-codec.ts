// The codec without a channel: encode and decode a struct, union or exception of a loaded IDL, or
// a method's arguments or result, as bare TBinaryProtocol bytes (what a thrift call's arg3 holds),
// to store or inspect Thrift values.
import { InvalidArgumentError } from "@tchannel/channel";
import { type DecodeOptions, decodeStruct, encodeStruct } from "./binary-codec.js";
import { structDefOf } from "./thrift-classes.js";
import type { StructDef } from "./thrift-type.js";

/**
 * A struct type: a class of a loaded module (`kv.Entry`), or a method's `args`/`result`
 * (`kv.KeyValue.methods.get("getValue").args`).
 */
export type ThriftStructType<T = any> = (abstract new (...args: any[]) => T) | StructDef;

function definition(type: ThriftStructType): StructDef {
  const def = structDefOf(type) ?? (isStructDef(type) ? type : undefined);
  if (def === undefined) throw new InvalidArgumentError("expected a struct, union or exception class of a loaded IDL, or a method's args or result");
  return def;
}

function isStructDef(v: unknown): v is StructDef {
  return v !== null && typeof v === "object" && (v as StructDef).byId instanceof Map && Array.isArray((v as StructDef).fields);
}

/** Encodes `value` (an instance or a plain object of fields) as `type`; throws ThriftCodecError. */
export function encodeThrift<T>(type: ThriftStructType<T>, value: T | Record<string, unknown>): Buffer {
  // A value of its own (not a view of the encoder's slab): the caller may keep it.
  return encodeStruct(definition(type), value, undefined, true);
}

/**
 * Decodes bytes holding exactly one `type` (an instance of its class); throws ThriftCodecError
 * on bytes that are not one, or that hold more values than `options.maxElements`.
 */
export function decodeThrift<T>(type: ThriftStructType<T>, bytes: Uint8Array, options?: DecodeOptions): T {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return decodeStruct(definition(type), buf, undefined, options) as T;
}
