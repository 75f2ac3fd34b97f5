import { BadRequestError, InvalidArgumentError } from "@tchannel/channel";

/**
 * The base of the exception classes generated from an IDL's `exception` types: real Errors, so
 * `instanceof` and stacks work, with the IDL fields as own properties, exactly what goes on the
 * wire. `message` and `name` are Error's only for display: derived from the class and its fields
 * and never encoded, unless the IDL declares a field of that name, which then is that field (of
 * its IDL type, undefined when unset).
 */
export class ThriftException extends Error {
  constructor(typeName?: string, fields?: Record<string, unknown>) {
    super();
    if (typeName !== undefined && typeName !== new.target.name) Object.defineProperty(this, "name", { value: typeName, writable: true, configurable: true });
    if (fields !== undefined) Object.assign(this, fields);
  }

  /** For display: the type and its fields, e.g. `NotFoundError key="k"`. */
  override get message(): string {
    const type = this.constructor.name;
    const fields = describeFields(this);
    return fields === "" ? type : `${type} ${fields}`;
  }

  override set message(value: string) {
    Object.defineProperty(this, "message", { value, writable: true, configurable: true });
  }

  /** The IDL type's name. */
  override get name(): string {
    return this.constructor.name;
  }

  override set name(value: string) {
    Object.defineProperty(this, "name", { value, writable: true, configurable: true });
  }
}

/** A non-void method's handler returned nothing (tchannel-python's ValueExpectedError). */
export class ValueExpectedError extends BadRequestError {}

/**
 * Oneway methods are not supported by TChannel (spec §15.3; tchannel-python's
 * OneWayNotSupportedError): calling or registering one is a local mistake, an InvalidArgumentError.
 */
export class OneWayNotSupportedError extends InvalidArgumentError {}

/** An IDL that cannot be loaded; the message starts with `file:line:column:` where known. */
export class ThriftLoadError extends Error {
  constructor(
    message: string,
    /** The IDL file (as given or found through includes), its 1-based line and column. */
    readonly file?: string,
    readonly line?: number,
    readonly column?: number,
    options?: { cause?: unknown },
  ) {
    super(`${file ?? ""}${file !== undefined && line !== undefined ? `:${line}:${column ?? 1}` : ""}${file !== undefined ? ": " : ""}${message}`, options);
    this.name = "ThriftLoadError";
  }
}

function describeFields(fields: object): string {
  return Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${describeValue(v)}`)
    .join(" ");
}

function describeValue(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "bigint") return `${v}n`;
  if (v === null || typeof v !== "object") return String(v);
  try {
    return JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? `${x}` : x instanceof Map ? Object.fromEntries(x) : x));
  } catch {
    return "[object]";
  }
}
