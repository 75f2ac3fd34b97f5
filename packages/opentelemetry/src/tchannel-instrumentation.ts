import diagnostics from "node:diagnostics_channel";
import { type Context, type MeterProvider, type TracerProvider, diag, metrics, trace } from "@opentelemetry/api";
import {
  CLIENT_ATTEMPT_CHANNEL,
  CLIENT_CALL_CHANNEL,
  CONNECTION_CLOSE_CHANNEL,
  CONNECTION_OPEN_CHANNEL,
  type ClientAttemptMessage,
  type ClientCallMessage,
  type ConnectionMessage,
  SERVER_CALL_CHANNEL,
  type ServerCallMessage,
  currentRequestContext,
} from "@tchannel/channel";
import { CallMetrics } from "./call-metrics.js";
import { CallSpans } from "./call-spans.js";
import { type SemconvMode, semconvModeFromEnv } from "./semconv.js";

export const INSTRUMENTATION_NAME = "@tchannel/opentelemetry";
export const INSTRUMENTATION_VERSION = "0.0.0";

export interface TChannelInstrumentationConfig {
  /** Make spans (default true). */
  spans?: boolean;
  /** Record metrics (default true). */
  metrics?: boolean;
  /** Prefix of every metric name; default `tchannel.` (as tchannel-go's statsd keys). */
  metricPrefix?: string;
  /** Attribute names: default from OTEL_SEMCONV_STABILITY_OPT_IN (`rpc`: new, `rpc/dup`: both), else the long-used ones. */
  semconv?: SemconvMode;
  /** Default: the global provider (`trace.getTracerProvider()`). */
  tracerProvider?: TracerProvider;
  /** Default: the global provider (`metrics.getMeterProvider()`). */
  meterProvider?: MeterProvider;
}

type TracingHandlers<M extends object> = {
  start: (message: M) => void;
  end: (message: M) => void;
  asyncStart: (message: M) => void;
  asyncEnd: (message: M) => void;
  error: (message: M) => void;
};

const nothing = (): void => {};

/**
 * A subscriber that throws would crash the process: diagnostics_channel rethrows it on the next
 * tick. Whatever goes wrong here (a propagator, a sampler, a bug) is logged instead.
 */
function guarded<M>(event: string, fn: (message: M) => void): (message: M) => void {
  return (message) => {
    try {
      fn(message);
    } catch (err) {
      diag.error(`@tchannel/opentelemetry: ${event} failed`, err);
    }
  };
}

/**
 * Subscribes to the core's diagnostics channels and turns calls into OpenTelemetry spans and
 * metrics. It has the shape of an `@opentelemetry/instrumentation` Instrumentation (enable,
 * disable, setTracerProvider, setMeterProvider, setConfig, getConfig), so it can be passed to
 * `registerInstrumentations`, but needs nothing beyond `@opentelemetry/api`.
 */
export class TChannelInstrumentation {
  readonly instrumentationName = INSTRUMENTATION_NAME;
  readonly instrumentationVersion = INSTRUMENTATION_VERSION;
  #config: TChannelInstrumentationConfig;
  #tracerProvider: TracerProvider | undefined;
  #meterProvider: MeterProvider | undefined;
  #spans: CallSpans | undefined;
  #metrics: CallMetrics | undefined;
  #enabled = false;
  readonly #started = new WeakMap<object, number>();
  readonly #client: TracingHandlers<ClientCallMessage>;
  readonly #attempt: TracingHandlers<ClientAttemptMessage>;
  readonly #server: TracingHandlers<ServerCallMessage>;
  readonly #onOpen: (message: unknown) => void;
  readonly #onClose: (message: unknown) => void;

  constructor(config: TChannelInstrumentationConfig = {}) {
    this.#config = config;
    this.#tracerProvider = config.tracerProvider;
    this.#meterProvider = config.meterProvider;
    this.#client = {
      start: guarded("client call start", (m) => {
        this.#started.set(m, performance.now());
        this.#spans?.clientStart(m);
        this.#metrics?.clientStart(m);
      }),
      end: nothing,
      asyncStart: nothing,
      error: nothing,
      // Fires after `error` too: the one place a call ends, however it ends.
      asyncEnd: guarded("client call end", (m) => {
        this.#spans?.clientEnd(m);
        this.#metrics?.clientEnd(m, this.#elapsed(m));
      }),
    };
    this.#attempt = {
      start: guarded("attempt start", (m) => {
        this.#started.set(m, performance.now());
        this.#spans?.attemptStart(m);
        this.#metrics?.attemptStart(m);
      }),
      end: nothing,
      asyncStart: nothing,
      error: nothing,
      asyncEnd: guarded("attempt end", (m) => {
        this.#spans?.attemptEnd(m);
        this.#metrics?.attemptEnd(m, this.#elapsed(m));
      }),
    };
    this.#server = {
      start: guarded("server call start", (m) => {
        this.#started.set(m, performance.now());
        this.#spans?.serverStart(m);
        this.#metrics?.serverStart(m);
      }),
      end: nothing,
      asyncStart: nothing,
      error: nothing,
      asyncEnd: guarded("server call end", (m) => {
        this.#spans?.serverEnd(m);
        this.#metrics?.serverEnd(m, this.#elapsed(m));
      }),
    };
    this.#onOpen = guarded("connection open", (m) => this.#metrics?.connectionOpen(m as ConnectionMessage));
    this.#onClose = guarded("connection close", (m) => this.#metrics?.connectionClose(m as ConnectionMessage));
  }

  #elapsed(message: object): number {
    const started = this.#started.get(message);
    this.#started.delete(message);
    return started === undefined ? 0 : performance.now() - started;
  }

  #build(): void {
    const config = this.#config;
    const mode = config.semconv ?? semconvModeFromEnv(process.env.OTEL_SEMCONV_STABILITY_OPT_IN);
    this.#spans = config.spans === false ? undefined : new CallSpans((this.#tracerProvider ?? trace.getTracerProvider()).getTracer(INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION), mode);
    this.#metrics =
      config.metrics === false ? undefined : new CallMetrics((this.#meterProvider ?? metrics.getMeterProvider()).getMeter(INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION), config.metricPrefix ?? "tchannel.");
  }

  /** Starts listening to the core's channels (idempotent). */
  enable(): void {
    if (this.#enabled) return;
    this.#enabled = true;
    this.#build();
    diagnostics.tracingChannel<unknown, ClientCallMessage>(CLIENT_CALL_CHANNEL).subscribe(this.#client);
    diagnostics.tracingChannel<unknown, ClientAttemptMessage>(CLIENT_ATTEMPT_CHANNEL).subscribe(this.#attempt);
    diagnostics.tracingChannel<unknown, ServerCallMessage>(SERVER_CALL_CHANNEL).subscribe(this.#server);
    diagnostics.subscribe(CONNECTION_OPEN_CHANNEL, this.#onOpen);
    diagnostics.subscribe(CONNECTION_CLOSE_CHANNEL, this.#onClose);
  }

  /** Stops listening; calls in flight end without spans or metrics. */
  disable(): void {
    if (!this.#enabled) return;
    this.#enabled = false;
    diagnostics.tracingChannel<unknown, ClientCallMessage>(CLIENT_CALL_CHANNEL).unsubscribe(this.#client);
    diagnostics.tracingChannel<unknown, ClientAttemptMessage>(CLIENT_ATTEMPT_CHANNEL).unsubscribe(this.#attempt);
    diagnostics.tracingChannel<unknown, ServerCallMessage>(SERVER_CALL_CHANNEL).unsubscribe(this.#server);
    diagnostics.unsubscribe(CONNECTION_OPEN_CHANNEL, this.#onOpen);
    diagnostics.unsubscribe(CONNECTION_CLOSE_CHANNEL, this.#onClose);
    this.#spans = undefined;
    this.#metrics = undefined;
  }

  setTracerProvider(provider: TracerProvider): void {
    this.#tracerProvider = provider;
    if (this.#enabled) this.#build();
  }

  setMeterProvider(provider: MeterProvider): void {
    this.#meterProvider = provider;
    if (this.#enabled) this.#build();
  }

  setConfig(config: TChannelInstrumentationConfig): void {
    this.#config = config;
    if (config.tracerProvider) this.#tracerProvider = config.tracerProvider;
    if (config.meterProvider) this.#meterProvider = config.meterProvider;
    if (this.#enabled) this.#build();
  }

  getConfig(): TChannelInstrumentationConfig {
    return this.#config;
  }

  /**
   * The OpenTelemetry context of the inbound call whose handler is running (its SERVER span), for
   * spans a handler makes itself: `tracer.startActiveSpan("db", {}, instrumentation.handlerContext(), ...)`.
   * Outgoing TChannel calls made in a handler find it on their own.
   */
  handlerContext(): Context | undefined {
    const call = currentRequestContext()?.call;
    return call === undefined ? undefined : this.#spans?.contextOf(call);
  }
}

/** Creates and enables the instrumentation: `instrumentTChannel()` is all an application needs once an SDK is registered. */
export function instrumentTChannel(config: TChannelInstrumentationConfig = {}): TChannelInstrumentation {
  const instrumentation = new TChannelInstrumentation(config);
  instrumentation.enable();
  return instrumentation;
}
