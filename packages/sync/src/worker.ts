// The worker thread behind SyncTChannel: it owns a real (async) TChannel, runs each request the
// caller posts, posts the reply and wakes the caller (see protocol.ts). It runs as built
// JavaScript (dist/worker.js) and loads @tchannel/* from their built dist.
import { workerData } from "node:worker_threads";
import { DEAD, SEQ, STATE, type WorkerInit, type WorkerReply, type WorkerRequest, compactBytes, serializeError } from "./protocol.js";
import type { SyncWorkerExtension, SyncWorkerExtensionFactory, SyncWorkerOperation } from "./worker-extension.js";

const { port, shared, options, extensions, routers } = workerData as WorkerInit;
const state = new Int32Array(shared);

function wake(): void {
  Atomics.add(state, SEQ, 1);
  Atomics.notify(state, SEQ);
}

function post(reply: WorkerReply, transfer: ArrayBuffer[] = []): void {
  try {
    port.postMessage(reply, transfer);
  } catch (err) {
    // A value that cannot be cloned: answer with the error instead.
    port.postMessage({ id: reply.id, ok: false, error: serializeError(err) } satisfies WorkerReply);
  }
  wake();
}

/** Tells the caller, once, that this worker is gone (it is blocked, so it cannot see 'exit'). */
function die(error: unknown): void {
  if (Atomics.load(state, STATE) === DEAD) return;
  try {
    port.postMessage({ id: 0, crashed: serializeError(error) } satisfies WorkerReply);
  } catch {
    // the port is closed: the caller went away first
  }
  Atomics.store(state, STATE, DEAD);
  wake();
}

process.on("uncaughtException", (err) => {
  die(err);
  process.exit(1);
});
process.on("exit", (code) => die(new Error(`the worker exited with code ${code}`)));

try {
  const { TChannel, InvalidArgumentError } = await import("@tchannel/channel");
  const channel = new TChannel(options);
  if (routers.length > 0) channel.setRouters(routers);
  /** The extensions' operations by name, and the extensions (closed in reverse order). */
  const operations = new Map<string, SyncWorkerOperation>();
  const loadedExtensions: SyncWorkerExtension[] = [];
  for (const url of extensions) {
    const factory = ((await import(url)) as { default?: unknown }).default;
    if (typeof factory !== "function") throw new InvalidArgumentError(`the worker extension ${url} has no default export function`);
    const extension = await (factory as SyncWorkerExtensionFactory)({ channel });
    if (typeof extension?.operations !== "object" || extension.operations === null) throw new InvalidArgumentError(`the worker extension ${url} returned no operations`);
    for (const [name, operation] of Object.entries(extension.operations)) {
      if (operations.has(name)) throw new Error(`the worker extension ${url} defines "${name}", which an earlier extension defines too`);
      if (typeof operation !== "function") throw new InvalidArgumentError(`the worker extension ${url}: operation "${name}" is not a function`);
      operations.set(name, operation);
    }
    loadedExtensions.push(extension);
  }

  const handle = async (req: WorkerRequest): Promise<void> => {
    const transfer: ArrayBuffer[] = [];
    try {
      switch (req.op) {
        case "call": {
          const r = await channel.call(req.options);
          const value = { ok: r.ok, code: r.code, headers: r.headers, hostPort: r.hostPort, arg2: compactBytes(r.arg2, transfer, true), arg3: compactBytes(r.arg3, transfer, true) };
          post({ id: req.id, ok: true, value }, transfer);
          return;
        }
        case "invoke": {
          const operation = operations.get(req.name);
          if (!operation) throw new InvalidArgumentError(`no worker extension defines the operation "${req.name}"`);
          post({ id: req.id, ok: true, value: await operation(req.args) });
          return;
        }
        case "setRouters":
          channel.setRouters(req.routers);
          post({ id: req.id, ok: true, value: null });
          return;
        case "close":
          // Extensions first (an advertiser unadvertises while the channel is still open); one
          // failing does not keep the others or the channel open.
          for (const extension of loadedExtensions.reverse()) {
            try {
              await extension.close?.();
            } catch {
              // best effort: the worker ends regardless
            }
          }
          await channel.close();
          post({ id: req.id, ok: true, value: null });
          return;
        case "test:crash":
          post({ id: req.id, ok: true, value: null });
          setImmediate(() => {
            throw new Error("crash requested by a test");
          });
          return;
        case "test:hang":
          post({ id: req.id, ok: true, value: null });
          setImmediate(() => {
            const end = Date.now() + req.ms;
            while (Date.now() < end);
          });
          return;
      }
    } catch (err) {
      post({ id: req.id, ok: false, error: serializeError(err) });
    }
  };

  port.on("message", (req: WorkerRequest) => void handle(req));
  post({ id: 0, ok: true, value: null }); // ready
} catch (err) {
  die(err);
  process.exit(1);
}
