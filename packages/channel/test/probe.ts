import { type Socket, connect } from "node:net";
import { type Frame, FrameDecoder, FrameReader, FrameType, encodeFrame } from "@tchannel/frame";

// A hand-driven TChannel peer over a raw socket, for tests of what a server does with bad input.

/** Sockets opened by `probe`: destroy them after each test (`destroyProbes`). */
const sockets: Socket[] = [];

export function destroyProbes(): void {
  for (const s of sockets.splice(0)) s.destroy();
}

/** The frames of an encoded message, split at frame boundaries by the codec's own reader. */
export function framesOf(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  new FrameReader().push(bytes, (frame) => out.push(Buffer.from(frame)));
  return out;
}

/** A raw TCP peer that records decoded frames and whether the server closed the connection. */
export async function probe(hostPort: string) {
  const [host, port] = hostPort.split(":");
  const socket = connect({ host: host!, port: Number(port) });
  sockets.push(socket);
  await new Promise((r) => socket.once("connect", r));
  const decoder = new FrameDecoder();
  const frames: Frame[] = [];
  const waiters: Array<() => void> = [];
  let closed = false;
  socket.on("data", (d) => {
    frames.push(...decoder.push(d));
    for (const w of waiters.splice(0)) w();
  });
  socket.on("close", () => {
    closed = true;
    for (const w of waiters.splice(0)) w();
  });
  const until = async (cond: () => boolean, ms = 2000) => {
    const end = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > end) throw new Error(`timed out; frames: ${JSON.stringify(frames.map((f) => f.type))}, closed: ${closed}`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 20);
      });
    }
  };
  return {
    socket,
    frames,
    get closed() {
      return closed;
    },
    send: (b: Buffer) => socket.write(b),
    until,
    async handshake() {
      socket.write(encodeFrame({ type: FrameType.InitReq, id: 1, version: 2, headers: { host_port: "0.0.0.0:0", process_name: "probe" } }));
      await until(() => frames.some((f) => f.type === FrameType.InitRes));
    },
  };
}

