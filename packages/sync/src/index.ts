// @tchannel/sync: a TChannel client whose calls block the calling thread (tchannel-python's
// tchannel.sync.TChannel). The I/O runs in a worker thread that owns an async TChannel.
export { SyncTChannel, SyncWorkerError, type InvokeOptions, type SyncSchemeClient, type SyncTChannelOptions } from "./sync-tchannel.js";
export type { SyncWorkerContext, SyncWorkerExtension, SyncWorkerExtensionFactory, SyncWorkerOperation } from "./worker-extension.js";
