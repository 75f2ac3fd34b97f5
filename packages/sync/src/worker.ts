// The worker thread behind SyncTChannel: it owns a real (async) TChannel, runs each request the
// caller posts, posts the reply and wakes the caller (see protocol.ts). It runs as built
// JavaScript (dist/worker.js) and loads @tchannel/* from their built dist.
import { workerData } from "node:worker_threads";
import type { ThriftMethod } from "@tchannel/thrift";
import { DEAD, SEQ, STATE, type WorkerInit, type WorkerReply, type WorkerRequest, compactBytes, serializeError } from "./protocol.js";
import { type MethodShape, type ThriftType, type ValueHooks, mapValue } from "./thrift-shape.js";
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
  const [{ TChannel }, { loadThriftSource, thriftClient }] = await Promise.all([import("@tchannel/channel"), import("@tchannel/thrift")]);
  const channel = new TChannel(options);
  if (routers.length > 0) channel.setRouters(routers);
  const thrift = thriftClient(channel);
  /** Thrift methods, parsed once each from the IDL the caller sent, by the caller's key. */
  const methods = new Map<number, ThriftMethod>();
  /** The extensions' operations by name, and the extensions (closed in reverse order). */
  const operations = new Map<string, SyncWorkerOperation>();
  const loadedExtensions: SyncWorkerExtension[] = [];
  for (const url of extensions) {
    const factory = ((await import(url)) as { default?: unknown }).default;
    if (typeof factory !== "function") throw new TypeError(`the worker extension ${url} has no default export function`);
    const extension = await (factory as SyncWorkerExtensionFactory)({ channel });
    if (typeof extension?.operations !== "object" || extension.operations === null) throw new TypeError(`the worker extension ${url} returned no operations`);
    for (const [name, operation] of Object.entries(extension.operations)) {
      if (operations.has(name)) throw new Error(`the worker extension ${url} defines "${name}", which an earlier extension defines too`);
      if (typeof operation !== "function") throw new TypeError(`the worker extension ${url}: operation "${name}" is not a function`);
      operations.set(name, operation);
    }
    loadedExtensions.push(extension);
  }

  const handle = async (req: WorkerRequest): Promise<void> => {
    const transfer: ArrayBuffer[] = [];
    const detach: ValueHooks = { binary: (b) => compactBytes(b, transfer, true), struct: (_def, fields) => fields, defaults: false };
    try {
      switch (req.op) {
        case "call": {
          const r = await channel.call(req.options);
          const value = { ok: r.ok, code: r.code, headers: r.headers, hostPort: r.hostPort, arg2: compactBytes(r.arg2, transfer, true), arg3: compactBytes(r.arg3, transfer, true) };
          post({ id: req.id, ok: true, value }, transfer);
          return;
        }
        case "load": {
          const module = loadThriftSource(req.idl, { service: "sync" });
          const method = module[req.thriftService]?.methods?.get(req.method) as ThriftMethod | undefined;
          if (!method) throw new Error(`the generated IDL has no ${req.thriftService}::${req.method}`);
          methods.set(req.key, method);
          post({ id: req.id, ok: true, value: null });
          return;
        }
        case "thrift": {
          const method = methods.get(req.key);
          if (!method) throw new Error(`thrift method ${req.key} was never loaded in this worker`);
          const shape = method as unknown as MethodShape;
          let response;
          try {
            response = await thrift({ method, args: req.args as Record<string, unknown>, service: req.service, hostPort: req.hostPort }, req.options);
          } catch (err) {
            const field = shape.exceptions.find((f) => f.type.kind === "struct" && f.type.def.cls !== undefined && err instanceof f.type.def.cls);
            if (!field) throw err;
            const error = { ...serializeError(err), exceptionField: field.name, fields: mapValue(field.type, err, detach) };
            post({ id: req.id, ok: false, error }, transfer);
            return;
          }
          const success: ThriftType | undefined = shape.result.fields.find((f) => f.id === 0)?.type;
          const body = success ? mapValue(success, response.body, detach) : response.body;
          post({ id: req.id, ok: true, value: { body, headers: response.headers, status: response.status, transport: response.transport } }, transfer);
          return;
        }
        case "invoke": {
          const operation = operations.get(req.name);
          if (!operation) throw new TypeError(`no worker extension defines the operation "${req.name}"`);
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
