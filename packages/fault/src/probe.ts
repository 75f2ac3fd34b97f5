import { type Socket, connect } from "node:net";
import { type Frame, FrameDecoder, FrameType, encodeFrame } from "@tchannel/frame";

/** A hand-driven peer on a raw socket: sends bytes, records decoded frames and the close. */
export class Probe {
  readonly socket: Socket;
  readonly frames: Frame[] = [];
  closed = false;
  readonly #decoder = new FrameDecoder();

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on("data", (d: Buffer) => {
      try {
        this.frames.push(...this.#decoder.push(d));
      } catch {
        // a broken answer is recorded as no frame
      }
    });
    socket.on("error", () => {});
    socket.on("close", () => (this.closed = true));
  }

  static async open(hostPort: string): Promise<Probe> {
    const [host, port] = [hostPort.slice(0, hostPort.lastIndexOf(":")), Number(hostPort.slice(hostPort.lastIndexOf(":") + 1))];
    const socket = connect({ host, port });
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", () => resolve());
      socket.once("error", reject);
    });
    return new Probe(socket);
  }

  send(bytes: Uint8Array): void {
    if (!this.closed) this.socket.write(bytes);
  }

  static initReq(): Buffer {
    return encodeFrame({ type: FrameType.InitReq, id: 1, version: 2, headers: { host_port: "0.0.0.0:0", process_name: "probe" } });
  }

  async handshake(): Promise<void> {
    this.send(Probe.initReq());
    await this.until(() => this.frames.some((f) => f.type === FrameType.InitRes));
  }

  async until(condition: () => boolean, ms = 10_000): Promise<void> {
    const end = performance.now() + ms;
    while (!condition()) {
      if (performance.now() > end) throw new Error(`condition not met within ${ms} ms (frames: ${this.frames.map((f) => f.type).join(",")}, closed: ${this.closed})`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** The frames of an encoded message, split at frame boundaries. */
export function framesOf(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let o = 0; o < bytes.length; ) {
    const size = bytes.readUInt16BE(o);
    out.push(bytes.subarray(o, o + size));
    o += size;
  }
  return out;
}

export async function waitFor(condition: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = performance.now() + ms;
  while (!(await condition())) {
    if (performance.now() > end) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
