import type { Attributes, Counter, Histogram, Meter, UpDownCounter } from "@opentelemetry/api";
import type { ClientAttemptMessage, ClientCallMessage, ConnectionMessage, ServerCallMessage } from "@tchannel/channel";
import { errorType, errorTypeOfCode } from "./error-type.js";

/**
 * Metrics named after tchannel-go's stats (outbound.go, inbound.go) and the protocol's metrics
 * list (`*.system-errors` with a `type`, `connections.*`), with Go's tag names as attributes, so
 * dashboards built on Go's statsd keys map one to one. README "Metrics" has the table.
 */
export class CallMetrics {
  readonly #send: Counter;
  readonly #outSuccess: Counter;
  readonly #outAppErrors: Counter;
  readonly #outAttemptAppErrors: Counter;
  readonly #outSystemErrors: Counter;
  readonly #outAttemptSystemErrors: Counter;
  readonly #retries: Counter;
  readonly #outLatency: Histogram;
  readonly #outAttemptLatency: Histogram;
  readonly #outPending: UpDownCounter;
  readonly #recvd: Counter;
  readonly #inSuccess: Counter;
  readonly #inAppErrors: Counter;
  readonly #inSystemErrors: Counter;
  readonly #inLatency: Histogram;
  readonly #inPending: UpDownCounter;
  readonly #connections: UpDownCounter;
  readonly #open = new Set<ConnectionMessage>();
  #closedBytesRead = 0;
  #closedBytesWritten = 0;

  constructor(meter: Meter, prefix: string) {
    const counter = (name: string, description: string) => meter.createCounter(prefix + name, { description });
    const latency = (name: string, description: string) => meter.createHistogram(prefix + name, { description, unit: "ms" });
    this.#send = counter("outbound.calls.send", "Call attempts sent (each retry counts)");
    this.#outSuccess = counter("outbound.calls.success", "Outgoing calls answered OK");
    this.#outAppErrors = counter("outbound.calls.app-errors", "Outgoing calls answered with an application error (last attempt)");
    this.#outAttemptAppErrors = counter("outbound.calls.per-attempt.app-errors", "Call attempts answered with an application error");
    this.#outSystemErrors = counter("outbound.calls.system-errors", "Outgoing calls failed with a protocol or local error, by type");
    this.#outAttemptSystemErrors = counter("outbound.calls.per-attempt.system-errors", "Call attempts failed with a protocol or local error, by type");
    this.#retries = counter("outbound.calls.retries", "Retries, by retry-count");
    this.#outLatency = latency("outbound.calls.latency", "Outgoing call latency, retries included");
    this.#outAttemptLatency = latency("outbound.calls.per-attempt.latency", "Latency of each call attempt");
    this.#outPending = meter.createUpDownCounter(prefix + "outbound.calls.pending", { description: "Outgoing calls in flight" });
    this.#recvd = counter("inbound.calls.recvd", "Inbound calls received");
    this.#inSuccess = counter("inbound.calls.success", "Inbound calls answered OK");
    this.#inAppErrors = counter("inbound.calls.app-errors", "Inbound calls answered with an application error");
    this.#inSystemErrors = counter("inbound.calls.system-errors", "Inbound calls answered with an error frame or abandoned, by type");
    this.#inLatency = latency("inbound.calls.latency", "Inbound call latency, from call req to answer");
    this.#inPending = meter.createUpDownCounter(prefix + "inbound.calls.pending", { description: "Inbound calls being handled" });
    this.#connections = meter.createUpDownCounter(prefix + "connections.active", { description: "Open connections (handshake done), by direction" });
    const bytesSent = meter.createObservableCounter(prefix + "connections.bytes-sent", { description: "Bytes written to connections", unit: "By" });
    const bytesRecvd = meter.createObservableCounter(prefix + "connections.bytes-recvd", { description: "Bytes read from connections", unit: "By" });
    // Read from the sockets when a reader collects: counting bytes costs the I/O path nothing.
    meter.addBatchObservableCallback(
      (result) => {
        let read = this.#closedBytesRead;
        let written = this.#closedBytesWritten;
        for (const c of this.#open) {
          read += c.bytesRead;
          written += c.bytesWritten;
        }
        result.observe(bytesSent, written);
        result.observe(bytesRecvd, read);
      },
      [bytesSent, bytesRecvd],
    );
  }

  clientStart(call: ClientCallMessage): void {
    this.#outPending.add(1, outboundAttributes(call));
  }

  attemptStart(attempt: ClientAttemptMessage): void {
    const attributes = outboundAttributes(attempt.call);
    this.#send.add(1, attributes);
    if (attempt.attempt > 0) this.#retries.add(1, Object.assign({ "retry-count": attempt.attempt }, attributes));
  }

  attemptEnd(attempt: ClientAttemptMessage, elapsed: number): void {
    const attributes = outboundAttributes(attempt.call);
    this.#outAttemptLatency.record(elapsed, attributes);
    if (attempt.error !== undefined) this.#outAttemptSystemErrors.add(1, Object.assign({ type: errorType(attempt.error) }, attributes));
    else if ((attempt.result as { ok?: boolean } | undefined)?.ok === false) this.#outAttemptAppErrors.add(1, attributes);
  }

  clientEnd(call: ClientCallMessage, elapsed: number): void {
    const attributes = outboundAttributes(call);
    this.#outPending.add(-1, attributes);
    this.#outLatency.record(elapsed, attributes);
    if (call.error !== undefined) this.#outSystemErrors.add(1, Object.assign({ type: errorType(call.error) }, attributes));
    else if (call.ok === false) this.#outAppErrors.add(1, attributes);
    else this.#outSuccess.add(1, attributes);
  }

  serverStart(call: ServerCallMessage): void {
    const attributes = inboundAttributes(call);
    this.#recvd.add(1, attributes);
    this.#inPending.add(1, attributes);
  }

  serverEnd(call: ServerCallMessage, elapsed: number): void {
    const attributes = inboundAttributes(call);
    this.#inPending.add(-1, attributes);
    this.#inLatency.record(elapsed, attributes);
    if (call.error !== undefined) {
      const type = call.code !== undefined ? errorTypeOfCode(call.code) : errorType(call.error);
      this.#inSystemErrors.add(1, Object.assign({ type }, attributes));
    } else if (call.ok === false) this.#inAppErrors.add(1, attributes);
    else this.#inSuccess.add(1, attributes);
  }

  connectionOpen(connection: ConnectionMessage): void {
    this.#open.add(connection);
    this.#connections.add(1, { direction: connection.direction });
  }

  connectionClose(connection: ConnectionMessage): void {
    if (!this.#open.delete(connection)) return;
    this.#closedBytesRead += connection.bytesRead;
    this.#closedBytesWritten += connection.bytesWritten;
    this.#connections.add(-1, { direction: connection.direction });
  }
}

// tchannel-go's tags: outbound `service` (ours), `target-service`, `target-endpoint`; inbound
// `calling-service`, `service` (ours), `endpoint`.
function outboundAttributes(call: ClientCallMessage): Attributes {
  return { service: call.callerName, "target-service": call.service, "target-endpoint": call.endpoint };
}

function inboundAttributes(call: ServerCallMessage): Attributes {
  return { "calling-service": call.callerName, service: call.service, endpoint: call.endpoint };
}
