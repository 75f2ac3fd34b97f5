// The shapes of @tchannel/thrift's compiled IDL types (thrift-type.ts there), reached through the
// public `ThriftMethod` type: a method's `args`/`result` structs and their fields' types.
import type { ThriftMethod } from "@tchannel/thrift";

export type StructDef = ThriftMethod["args"];
export type FieldDef = StructDef["fields"][number];
export type ThriftType = FieldDef["type"];
