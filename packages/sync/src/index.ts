// @tchannel/sync: a TChannel client whose calls block the calling thread (tchannel-python's
// tchannel.sync.TChannel). The I/O runs in a worker thread that owns an async TChannel.
export {
  SyncTChannel,
  SyncWorkerError,
  type InvokeOptions,
  type SyncCallStarter,
  type SyncResults,
  type SyncSchemeClient,
  type SyncTChannelOptions,
} from "./sync-tchannel.js";
export { SyncPendingCall } from "./pending-call.js";
export { argumentError } from "./argument-validation.js";
export type { SyncWorkerContext, SyncWorkerExtension, SyncWorkerExtensionFactory, SyncWorkerOperation } from "./worker-extension.js";
