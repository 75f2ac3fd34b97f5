import {
  type Attributes,
  type Context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  context as contextApi,
  isSpanContextValid,
  trace,
} from "@opentelemetry/api";
import type { ClientAttemptMessage, ClientCallMessage, ServerCallMessage } from "@tchannel/channel";
import { errorType, errorTypeOfCode, wireCodeOf } from "./error-type.js";
import {
  ATTR_ERROR_TYPE,
  ATTR_NETWORK_PEER_ADDRESS,
  ATTR_NETWORK_PEER_PORT,
  ATTR_RPC_METHOD,
  ATTR_RPC_SERVICE,
  ATTR_RPC_SYSTEM,
  ATTR_RPC_SYSTEM_NAME,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_TCHANNEL_APPLICATION_ERROR,
  ATTR_TCHANNEL_ATTEMPT,
  ATTR_TCHANNEL_CALLER,
  ATTR_TCHANNEL_ERROR_CODE,
  ATTR_TCHANNEL_RETRY_COUNT,
  ATTR_TCHANNEL_SCHEME,
  RPC_SYSTEM,
  type SemconvMode,
} from "./semconv.js";
import { extractTracingHeaders, injectTracingHeaders } from "./tracing-headers.js";
import { spanContextFromTracing, tracingFromSpanContext, wireTraceId } from "./wire-ids.js";

interface ClientSpan {
  span: Span;
  context: Context;
}

/**
 * Spans from the core's call events: a CLIENT span per outgoing call whose ids go on the wire
 * (and into `$tracing$` headers), a child CLIENT span per retry (the first attempt is the call's
 * own span), a SERVER span per inbound call whose parent is what the caller sent.
 */
export class CallSpans {
  readonly #tracer: Tracer;
  readonly #mode: SemconvMode;
  readonly #clients = new WeakMap<ClientCallMessage, ClientSpan>();
  readonly #attempts = new WeakMap<ClientAttemptMessage, Span>();
  readonly #servers = new WeakMap<ServerCallMessage, ClientSpan>();

  constructor(tracer: Tracer, mode: SemconvMode) {
    this.#tracer = tracer;
    this.#mode = mode;
  }

  /** The context of an inbound call's span: outgoing calls of its handler are its children. */
  contextOf(call: ServerCallMessage): Context | undefined {
    return this.#servers.get(call)?.context;
  }

  clientStart(call: ClientCallMessage): void {
    let parent = contextApi.active();
    // Inside a handler with no span of the application's own active, the inbound call's span is
    // the parent: the core's request context links the two, whatever the context manager.
    if (trace.getSpan(parent) === undefined && call.parent !== undefined) parent = this.contextOf(call.parent) ?? parent;
    const span = this.#tracer.startSpan(this.#name(call.service, call.endpoint), { kind: SpanKind.CLIENT, attributes: this.#attributes(call.service, call.endpoint, call.scheme, call.callerName) }, parent);
    const context = trace.setSpan(parent, span);
    this.#clients.set(call, { span, context });
    const sc = span.spanContext();
    // No SDK, no span ids: the core's own ids (a child of the inbound call's, or a root) go out.
    if (isSpanContextValid(sc)) call.tracing = tracingFromSpanContext(sc, trace.getSpanContext(parent)?.spanId);
    call.arg2 = injectTracingHeaders(call.scheme, call.arg2, context);
  }

  attemptStart(attempt: ClientAttemptMessage): void {
    const call = this.#clients.get(attempt.call);
    if (call === undefined) return;
    const { host, port } = splitHostPort(attempt.hostPort);
    if (attempt.attempt === 0) {
      call.span.setAttribute(ATTR_SERVER_ADDRESS, host);
      if (port !== undefined) call.span.setAttribute(ATTR_SERVER_PORT, port);
      return;
    }
    const c = attempt.call;
    const attributes = this.#attributes(c.service, c.endpoint, c.scheme, c.callerName);
    attributes[ATTR_TCHANNEL_ATTEMPT] = attempt.attempt;
    attributes[ATTR_SERVER_ADDRESS] = host;
    if (port !== undefined) attributes[ATTR_SERVER_PORT] = port;
    const span = this.#tracer.startSpan(this.#name(c.service, c.endpoint), { kind: SpanKind.CLIENT, attributes }, call.context);
    this.#attempts.set(attempt, span);
    const sc = span.spanContext();
    if (isSpanContextValid(sc)) attempt.tracing = tracingFromSpanContext(sc, call.span.spanContext().spanId);
  }

  attemptEnd(attempt: ClientAttemptMessage): void {
    const span = this.#attempts.get(attempt);
    if (span === undefined) return;
    this.#attempts.delete(attempt);
    if (attempt.error !== undefined) failed(span, attempt.error);
    else applicationError(span, (attempt.result as { ok?: boolean } | undefined)?.ok === false, true);
    span.end();
  }

  clientEnd(call: ClientCallMessage): void {
    const state = this.#clients.get(call);
    if (state === undefined) return;
    this.#clients.delete(call);
    const span = state.span;
    span.setAttribute(ATTR_TCHANNEL_RETRY_COUNT, Math.max(0, call.attempts - 1));
    if (call.error !== undefined) failed(span, call.error);
    else applicationError(span, call.ok === false, true);
    span.end();
  }

  serverStart(call: ServerCallMessage): void {
    const parent = remoteParent(call);
    const attributes = this.#attributes(call.service, call.endpoint, call.scheme, call.callerName);
    const { host, port } = splitHostPort(call.remoteHostPort);
    attributes[ATTR_NETWORK_PEER_ADDRESS] = host;
    if (port !== undefined) attributes[ATTR_NETWORK_PEER_PORT] = port;
    const span = this.#tracer.startSpan(this.#name(call.service, call.endpoint), { kind: SpanKind.SERVER, attributes }, parent);
    this.#servers.set(call, { span, context: trace.setSpan(parent, span) });
  }

  serverEnd(call: ServerCallMessage): void {
    const state = this.#servers.get(call);
    if (state === undefined) return;
    // Kept in the map (weakly) until the message goes: a handler's late outgoing call still finds its parent.
    const span = state.span;
    if (call.error !== undefined) {
      failed(span, call.error, call.code);
    } else {
      // The server answered as asked: an application error is the caller's failure, not the server's.
      applicationError(span, call.ok === false, false);
    }
    span.end();
  }

  #name(service: string, endpoint: string): string {
    return `${service}/${endpoint}`;
  }

  #attributes(service: string, endpoint: string, scheme: string, callerName: string): Attributes {
    const attributes: Attributes = {};
    if (this.#mode !== "new") {
      attributes[ATTR_RPC_SYSTEM] = RPC_SYSTEM;
      attributes[ATTR_RPC_SERVICE] = service;
      attributes[ATTR_RPC_METHOD] = endpoint;
    }
    if (this.#mode !== "old") {
      attributes[ATTR_RPC_SYSTEM_NAME] = RPC_SYSTEM;
      attributes[ATTR_RPC_METHOD] = `${service}/${endpoint}`;
    }
    attributes[ATTR_TCHANNEL_SCHEME] = scheme;
    attributes[ATTR_TCHANNEL_CALLER] = callerName;
    return attributes;
  }
}


/**
 * The parent of an inbound call's span: the `$tracing$` headers when they carry a context whose
 * trace is the frame's (they hold all 128 bits of the trace id), else the frame's tracing field.
 */
function remoteParent(call: ServerCallMessage): Context {
  const fromFrame = spanContextFromTracing(call.tracing);
  const fromHeaders = extractTracingHeaders(call.scheme, call.arg2);
  if (fromHeaders !== undefined) {
    const sc = trace.getSpanContext(fromHeaders);
    if (sc !== undefined && isSpanContextValid(sc) && (fromFrame === undefined || sc.traceId.endsWith(wireTraceId(call.tracing)))) return fromHeaders;
  }
  return fromFrame === undefined ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, fromFrame);
}

function failed(span: Span, error: unknown, code?: number): void {
  const type = code !== undefined ? errorTypeOfCode(code) : errorType(error);
  span.setAttribute(ATTR_ERROR_TYPE, type);
  const wire = code ?? wireCodeOf(error);
  if (wire !== undefined) span.setAttribute(ATTR_TCHANNEL_ERROR_CODE, wire);
  if (error instanceof Error) span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

function applicationError(span: Span, isApplicationError: boolean, isClient: boolean): void {
  if (!isApplicationError) return;
  span.setAttribute(ATTR_TCHANNEL_APPLICATION_ERROR, true);
  if (isClient) {
    span.setAttribute(ATTR_ERROR_TYPE, "application-error");
    span.setStatus({ code: SpanStatusCode.ERROR, message: "application error" });
  }
}

function splitHostPort(hostPort: string): { host: string; port: number | undefined } {
  const i = hostPort.lastIndexOf(":");
  if (i < 0) return { host: hostPort, port: undefined };
  const port = Number(hostPort.slice(i + 1));
  return { host: hostPort.slice(0, i), port: Number.isInteger(port) ? port : undefined };
}
