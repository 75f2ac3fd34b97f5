import type { TChannel } from "@tchannel/channel";
import { type ModuleInfo, MODULE_INFO, loadThriftSource } from "./thrift-module.js";
import type { ThriftClient } from "./thrift-client.js";

/**
 * The `Meta` service every TChannel server answers (spec §18), so `tcurl --health` works. The IDL
 * follows tchannel's meta.thrift.
 */
export const META_IDL = `
enum HealthState { REFUSING = 0, ACCEPTING = 1, STOPPING = 2, STOPPED = 3 }
enum HealthRequestType { PROCESS = 0, TRAFFIC = 1 }
struct HealthRequest { 1: optional HealthRequestType type }
struct HealthStatus { 1: required bool ok, 2: optional string message, 3: optional HealthState state }
typedef string filename
struct ThriftIDLs { 1: required map<filename, string> idls, 2: required filename entryPoint }
struct VersionInfo { 1: required string language, 2: required string language_version, 3: required string version }
service Meta {
  HealthStatus health(1: HealthRequest hr)
  ThriftIDLs thriftIDL()
  VersionInfo versionInfo()
}
`;

export interface MetaOptions {
  /** Answers Meta::health; default: healthy while the channel is open. */
  health?: () => { ok: boolean; message?: string } | Promise<{ ok: boolean; message?: string }>;
}

/** Registers Meta::health, Meta::thriftIDL and Meta::versionInfo on the channel's own service. */
export function registerMeta(channel: TChannel, thrift: ThriftClient, idl: () => ModuleInfo | undefined, options: MetaOptions = {}): void {
  const meta = loadThriftSource(META_IDL, { service: channel.name });
  thrift.register(meta.Meta, "health", async () => {
    const status = options.health ? await options.health() : { ok: true };
    return new meta.HealthStatus({ ok: status.ok, message: status.message, state: status.ok ? "ACCEPTING" : "REFUSING" });
  });
  thrift.register(meta.Meta, "thriftIDL", () => {
    const info = idl();
    return new meta.ThriftIDLs({ idls: new Map(Object.entries(info?.idls ?? {})), entryPoint: info?.entryPoint ?? "" });
  });
  thrift.register(meta.Meta, "versionInfo", () => new meta.VersionInfo({ language: "node", language_version: process.versions.node, version: "0.0.0" }));
}

export { MODULE_INFO };
