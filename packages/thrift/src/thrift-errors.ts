import { BadRequestError } from "@tchannel/channel";

/**
 * The base of the exception classes generated from an IDL's `exception` types: real Errors, so
 * `instanceof` and stacks work, with the IDL fields as own properties.
 */
export class ThriftException extends Error {
  constructor(typeName: string, fields: Record<string, unknown> = {}) {
    super(typeof fields.message === "string" ? fields.message : `${typeName} ${safeJson(fields)}`);
    this.name = typeName;
    Object.assign(this, fields);
  }
}

/** A non-void method's handler returned nothing (tchannel-python's ValueExpectedError). */
export class ValueExpectedError extends BadRequestError {}

/** Oneway methods are not supported by TChannel (spec §15.3; tchannel-python's OneWayNotSupportedError). */
export class OneWayNotSupportedError extends BadRequestError {}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? `${x}` : x));
  } catch {
    return "";
  }
}
