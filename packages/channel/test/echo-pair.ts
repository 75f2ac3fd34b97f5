import { TChannel } from "../src/tchannel.js";

// A server and a client for tests of what the client does with a caller's arguments: the server
// counts its handler's runs, so a test can show that a refused call sent nothing.

const opened: TChannel[] = [];

/** Closes every channel `echoPair` and `track` opened (for `afterEach`). */
export async function closeOpened(): Promise<void> {
  await Promise.all(opened.splice(0).map((c) => c.close()));
}

/** A channel that `closeOpened` will close. */
export function track(channel: TChannel): TChannel {
  opened.push(channel);
  return channel;
}

export interface EchoPair {
  client: TChannel;
  hostPort: string;
  /** How many times a handler ran. */
  runs: () => number;
}

/** A server with a raw "echo" endpoint (and "echo-streamed", a streamed one, if asked) and a client. */
export async function echoPair(options: { streamed?: boolean } = {}): Promise<EchoPair> {
  const server = track(new TChannel({ name: "server" }));
  const client = track(new TChannel({ name: "client" }));
  let runs = 0;
  server.raw.register("echo", (req) => {
    runs++;
    return req.body;
  });
  if (options.streamed) {
    server.registerStreamed("echo-streamed", "raw", async (call) => {
      runs++;
      return { ok: true, arg2: await call.arg2.bytes(), arg3: call.arg3 };
    });
  }
  return { client, hostPort: await server.listen(), runs: () => runs };
}
