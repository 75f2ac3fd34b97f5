// Turning a checked command into one call: everything that can be wrong with the input (IDL,
// method, body, headers) is found in prepareCall, before a channel exists; runCall sends it and
// turns the answer into what to print and the exit code.
import { type CallOptions, InvalidArgumentError, type TChannel, TChannelError } from "@tchannel/channel";
import { jsonClient } from "@tchannel/json";
import { META_IDL, ThriftException, type ThriftMethod, type ThriftModule, loadThriftSource, loadThriftSync, thriftClient } from "@tchannel/thrift";
import { EXIT, UsageError } from "./exit-codes.js";
import { JsonValueError, structFromJson, structToJson, toJson } from "./json-values.js";
import type { TcurlCommand } from "./options.js";

/** What a call ends with: bytes or text for stdout and stderr, and the exit code. */
export interface Outcome {
  exit: number;
  stdout?: string | Uint8Array;
  stderr?: string;
}

export interface PreparedCall {
  run(channel: TChannel): Promise<Outcome>;
}

/** Checks the input of the call and builds it; throws UsageError. */
export function prepareCall(command: TcurlCommand): PreparedCall {
  const common: CallOptions = {
    service: command.service,
    timeout: command.timeout,
    callerName: command.callerName,
    hostPort: command.peers.length === 1 ? command.peers[0] : undefined,
    shardKey: command.shardKey,
    routingDelegate: command.routingDelegate,
  };
  if (command.health) return prepareHealth(command, common);
  switch (command.scheme) {
    case "raw":
      return prepareRaw(command, common);
    case "json":
      return prepareJson(command, common);
    case "thrift":
      return prepareThrift(command, common);
  }
}

function prepareRaw(command: TcurlCommand, common: CallOptions): PreparedCall {
  const headers = Buffer.from(command.headers ?? "", "utf8");
  const body = Buffer.from(command.body ?? "", "utf8");
  return {
    async run(channel) {
      const res = await channel.raw({ ...common, endpoint: command.endpoint, headers, body });
      const exit = res.status === 0 ? EXIT.OK : EXIT.RESPONSE_NOT_OK;
      const stderr = res.status === 0 ? undefined : appErrorNote(command, "status 1");
      if (command.envelope) {
        return { exit, stderr, stdout: line({ ok: res.status === 0, head: res.headers.toString("utf8"), body: res.body.toString("utf8"), headers: { ...res.transport.headers } }) };
      }
      // As Uber's tcurl: a raw response body is written as it came, with nothing added.
      return { exit, stderr, stdout: res.body };
    },
  };
}

function prepareJson(command: TcurlCommand, common: CallOptions): PreparedCall {
  const headers = parseHeaders(command.headers);
  // Uber's tcurl sends {} when no body is given.
  const body = command.body === undefined ? {} : parseJsonText(command.body, "the body");
  return {
    async run(channel) {
      const res = await jsonClient(channel)({ ...common, endpoint: command.endpoint, headers, body });
      const exit = res.status === 0 ? EXIT.OK : EXIT.RESPONSE_NOT_OK;
      const stderr = res.status === 0 ? undefined : appErrorNote(command, "status 1");
      const stdout = command.envelope ? line({ ok: res.status === 0, head: res.headers, body: res.body, headers: { ...res.transport.headers } }) : line(res.body);
      return { exit, stderr, stdout };
    },
  };
}

function prepareThrift(command: TcurlCommand, common: CallOptions): PreparedCall {
  const file = command.thriftFile!;
  let module: ThriftModule;
  try {
    module = loadThriftSync(file, { service: command.service });
  } catch (err) {
    throw new UsageError(`cannot load the thrift IDL ${file}: ${(err as Error).message}`);
  }
  const method = findMethod(module, command.endpoint, file);
  const headers = parseHeaders(command.headers);
  const json = command.body === undefined ? {} : parseJsonText(command.body, "the body");
  let args: Record<string, unknown>;
  try {
    args = structFromJson(method.args, json, "body");
  } catch (err) {
    if (err instanceof JsonValueError) throw new UsageError(`invalid arguments for ${method.endpoint}: ${err.message}`);
    throw err;
  }
  const success = method.result.byId.get(0);
  return {
    async run(channel) {
      const request = { method, args, service: command.service, hostPort: undefined };
      try {
        const res = await thriftClient(channel)(request, { ...common, headers });
        const body = success ? toJson(success.type, res.body) : null;
        const stdout = command.envelope ? line({ ok: true, head: res.headers, body, headers: { ...res.transport.headers } }) : line(body);
        return { exit: EXIT.OK, stdout };
      } catch (err) {
        if (!(err instanceof ThriftException)) throw err;
        const field = method.exceptions.find((f) => f.type.kind === "struct" && f.type.def.cls !== undefined && err instanceof f.type.def.cls);
        if (!field || field.type.kind !== "struct") throw err;
        const body = structToJson(field.type.def, err);
        const stdout = command.envelope ? line({ ok: false, body, typeName: field.name }) : line(body);
        return { exit: EXIT.RESPONSE_NOT_OK, stdout, stderr: appErrorNote(command, `${field.name} (${field.type.def.name})`) };
      }
    },
  };
}

function prepareHealth(command: TcurlCommand, common: CallOptions): PreparedCall {
  const meta = loadThriftSource(META_IDL, { service: command.service });
  return {
    async run(channel) {
      const res = await thriftClient(channel)(meta.Meta.health({}), common);
      const status = res.body as { ok?: boolean; message?: string } | null;
      // As Uber's tcurl --health: "OK", or "NOT OK" and the service's message.
      if (status?.ok === true) return { exit: EXIT.OK, stdout: "OK\n" };
      return { exit: EXIT.HEALTH_NOT_OK, stdout: `NOT OK\n${status?.message ? `${status.message}\n` : ""}` };
    },
  };
}

function findMethod(module: ThriftModule, endpoint: string, file: string): ThriftMethod {
  const at = endpoint.indexOf("::");
  if (at <= 0 || at + 2 >= endpoint.length) throw new UsageError(`with -t, the endpoint must be Service::method, got ${JSON.stringify(endpoint)}`);
  const serviceName = endpoint.slice(0, at);
  const methodName = endpoint.slice(at + 2);
  const services = Object.entries(module).filter(([, v]) => v !== null && typeof v === "object" && v.methods instanceof Map);
  const service = services.find(([name]) => name === serviceName)?.[1] as { methods: Map<string, ThriftMethod> } | undefined;
  if (!service) {
    throw new UsageError(`${file} has no service ${JSON.stringify(serviceName)} (services: ${services.map(([n]) => n).join(", ") || "none"})`);
  }
  const method = service.methods.get(methodName);
  if (!method) {
    throw new UsageError(`${serviceName} in ${file} has no method ${JSON.stringify(methodName)} (methods: ${[...service.methods.keys()].join(", ") || "none"})`);
  }
  if (method.oneway) throw new UsageError(`${method.endpoint} is oneway; TChannel does not support oneway methods`);
  return method;
}

function parseJsonText(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${what} is not valid JSON (${(err as Error).message}): ${abbreviate(text)}`);
  }
}

/** -2/--headers for json and thrift: a JSON object of strings. */
function parseHeaders(text: string | undefined): Record<string, string> | undefined {
  if (text === undefined) return undefined;
  const value = parseJsonText(text, "the headers (-2)");
  if (value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value)) throw new UsageError(`the headers (-2) must be a JSON object of strings, got ${abbreviate(text)}`);
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== "string") throw new UsageError(`the headers (-2) must be strings: ${JSON.stringify(k)} is ${JSON.stringify(v)}`);
  }
  return value as Record<string, string>;
}

/** The message and exit code for a failed call (a TChannel error, or something unforeseen). */
export function errorOutcome(err: unknown, envelope: boolean): Outcome {
  if (err instanceof TChannelError) {
    // A local mistake the library caught (a value the scheme cannot encode...): nothing was sent, a usage error.
    const exit = err instanceof InvalidArgumentError ? EXIT.USAGE : err.wireCode === undefined ? EXIT.ERROR : err.wireCode;
    let stderr = `tcurl: ${err.name}: ${err.message}\n`;
    if (/no peer available/i.test(err.message)) stderr += "tcurl: this likely means that the service you are trying to reach is not advertising to Hyperbahn\n";
    const stdout = envelope ? line({ ok: false, name: err.name, message: err.message, isError: true, code: err.code, errorCode: err.wireCode ?? null }) : undefined;
    return { exit, stderr, stdout };
  }
  return { exit: EXIT.ERROR, stderr: `tcurl: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n` };
}

function appErrorNote(command: TcurlCommand, what: string): string {
  return `tcurl: application error from ${command.service} ${command.endpoint}: ${what}\n`;
}

function line(value: unknown): string {
  return `${JSON.stringify(value === undefined ? null : value)}\n`;
}

function abbreviate(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
}
