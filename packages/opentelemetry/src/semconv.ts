// Attribute names, copied here rather than imported from @opentelemetry/semantic-conventions'
// incubating entry point, whose names may change in minor releases (its README says so).
// The RPC conventions are a release candidate: by default we write the names most backends and
// instrumentations use today (rpc.system/rpc.service/rpc.method); OTEL_SEMCONV_STABILITY_OPT_IN=rpc
// switches to the new ones (rpc.system.name, a fully qualified rpc.method), rpc/dup writes both.

export const ATTR_RPC_SYSTEM = "rpc.system";
export const ATTR_RPC_SYSTEM_NAME = "rpc.system.name";
export const ATTR_RPC_SERVICE = "rpc.service";
export const ATTR_RPC_METHOD = "rpc.method";
export const ATTR_SERVER_ADDRESS = "server.address";
export const ATTR_SERVER_PORT = "server.port";
export const ATTR_NETWORK_PEER_ADDRESS = "network.peer.address";
export const ATTR_NETWORK_PEER_PORT = "network.peer.port";
export const ATTR_ERROR_TYPE = "error.type";

/** The arg scheme (`as` transport header). */
export const ATTR_TCHANNEL_SCHEME = "tchannel.scheme";
/** The caller's service name (`cn` transport header). */
export const ATTR_TCHANNEL_CALLER = "tchannel.caller_name";
/** The error frame's code (spec §10), on protocol errors. */
export const ATTR_TCHANNEL_ERROR_CODE = "tchannel.error_code";
/** The call res code was 0x01 (an application error, e.g. a declared thrift exception). */
export const ATTR_TCHANNEL_APPLICATION_ERROR = "tchannel.application_error";
/** Retries made by a call (attempts - 1), on the call's span. */
export const ATTR_TCHANNEL_RETRY_COUNT = "tchannel.retry_count";
/** Which attempt a retry's span is (1 = the first retry). */
export const ATTR_TCHANNEL_ATTEMPT = "tchannel.attempt";

export const RPC_SYSTEM = "tchannel";

export type SemconvMode = "old" | "new" | "dup";

/** The mode OTEL_SEMCONV_STABILITY_OPT_IN asks for (a comma-separated list; `rpc` or `rpc/dup`). */
export function semconvModeFromEnv(value: string | undefined): SemconvMode {
  const parts = (value ?? "").split(",").map((s) => s.trim());
  if (parts.includes("rpc/dup")) return "dup";
  if (parts.includes("rpc")) return "new";
  return "old";
}
