// Worker extensions: modules the sync client's worker imports at start to gain named async
// operations on its TChannel, which the caller runs with the blocking `SyncTChannel.invoke`. This
// is how a package above @tchannel/sync (Hyperbahn's advertise) adds work to the worker without
// @tchannel/sync knowing about it.
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { InvalidArgumentError, type TChannel } from "@tchannel/channel";

/** What an extension gets: the worker's own channel (the one every sync call goes through). */
export interface SyncWorkerContext {
  readonly channel: TChannel;
}

/**
 * One operation: takes the (structured-cloned) args of `invoke(name, args)`, and returns or
 * resolves with a structured-clonable value. What it throws is thrown by `invoke`, re-created as
 * the same class when it is one of @tchannel/channel's (or a standard) error class.
 */
export type SyncWorkerOperation = (args: any) => unknown;

export interface SyncWorkerExtension {
  /** The operations, by the name `invoke` uses. Names must be unique across a client's extensions. */
  readonly operations: Readonly<Record<string, SyncWorkerOperation>>;
  /** Runs when the client closes, before the worker's channel closes (extensions in reverse order). */
  close?(): unknown;
}

/** The default export of an extension module. */
export type SyncWorkerExtensionFactory = (context: SyncWorkerContext) => SyncWorkerExtension | Promise<SyncWorkerExtension>;

/**
 * The URL the worker imports for one `workerExtensions` entry. Bare specifiers would resolve from
 * @tchannel/sync's own folder, which knows none of the packages that ship extensions, so only
 * locations are taken: a URL, a `file:` URL string, or a path (relative to the working directory).
 */
export function extensionUrl(specifier: string | URL): string {
  if (specifier instanceof URL) return specifier.href;
  if (typeof specifier !== "string" || specifier === "") throw new InvalidArgumentError("a worker extension is a URL or a file path");
  if (/^[a-z][a-z0-9+.-]*:/i.test(specifier) && !/^[a-z]:[\\/]/i.test(specifier)) return new URL(specifier).href;
  if (isAbsolute(specifier) || specifier.startsWith("./") || specifier.startsWith("../")) return pathToFileURL(resolve(specifier)).href;
  throw new InvalidArgumentError(
    `worker extension "${specifier}" is a bare specifier, which the worker cannot resolve: pass a URL or a path (e.g. import.meta.resolve("${specifier}"))`,
  );
}
