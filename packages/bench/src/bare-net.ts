import { type Socket, connect, createServer } from "node:net";
import { type EchoCall, type EchoClient, EchoMismatchError, makePayload, stamp } from "./echo-adapter.js";

// The floor: what Node's sockets do with the least framing that still allows C calls in flight
// on one connection: `len:4 id:4 payload`, echoed back as is. No headers, checksums or timers.
const HEADER = 8;

/** Splits a stream into `len:4 id:4 payload` messages; a message spanning chunks is joined once. */
class MessageSplitter {
  #chunks: Buffer[] = [];
  #buffered = 0;

  push(chunk: Buffer, onMessage: (message: Buffer) => void): void {
    let buf = chunk;
    if (this.#buffered > 0) {
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
      const need = this.#chunks[0]!.length >= 4 ? this.#chunks[0]!.readUInt32BE(0) : Number.POSITIVE_INFINITY;
      if (this.#buffered < need && need !== Number.POSITIVE_INFINITY) return;
      buf = Buffer.concat(this.#chunks, this.#buffered);
      this.#chunks = [];
      this.#buffered = 0;
    }
    let o = 0;
    while (buf.length - o >= 4) {
      const size = buf.readUInt32BE(o);
      if (buf.length - o < size) break;
      onMessage(buf.subarray(o, o + size));
      o += size;
    }
    if (o < buf.length) {
      const rest = buf.subarray(o);
      this.#chunks.push(rest);
      this.#buffered = rest.length;
    }
  }
}

export function startNetServer(): Promise<{ port: number }> {
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    const splitter = new MessageSplitter();
    // A chunk's echoes leave in one writev, as a good echo server batches what one read produced.
    socket.on("data", (chunk: Buffer) => {
      socket.cork();
      splitter.push(chunk, (message) => socket.write(message));
      socket.uncork();
    });
    socket.on("error", () => socket.destroy());
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ port: (server.address() as { port: number }).port })));
}

export async function netClient(hostPort: string): Promise<EchoClient> {
  const [host, port] = hostPort.split(":") as [string, string];
  const socket: Socket = connect({ host, port: Number(port) });
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  const waiting = new Map<number, (message: Buffer) => void>();
  let nextId = 0;
  const splitter = new MessageSplitter();
  // The next calls that a chunk's answers trigger leave in one writev, like the server's echoes.
  socket.on("data", (chunk: Buffer) => {
    socket.cork();
    splitter.push(chunk, (message) => {
      const id = message.readUInt32BE(4);
      const done = waiting.get(id);
      waiting.delete(id);
      done?.(message);
    });
    socket.uncork();
  });
  socket.on("error", (err) => {
    for (const done of waiting.values()) done(Buffer.from(err.message));
    waiting.clear();
  });
  return {
    close: async () => {
      socket.destroy();
    },
    worker(size): EchoCall {
      const payload = makePayload(size);
      const out = Buffer.allocUnsafe(HEADER + size);
      out.writeUInt32BE(HEADER + size, 0);
      return (seq, done) => {
        stamp(payload, seq);
        const id = (nextId = (nextId + 1) >>> 0);
        out.writeUInt32BE(id, 4);
        payload.copy(out, HEADER);
        waiting.set(id, (message) => {
          done(message.length === HEADER + size && message.subarray(HEADER).equals(payload) ? undefined : new EchoMismatchError("net echo differs"));
        });
        socket.write(out);
      };
    },
  };
}
