import { type Socket, connect } from "node:net";
import { ChecksumType, EMPTY_TRACING, type Frame, FrameDecoder, FrameReader, FrameType, encodeCallReq, encodeFrame } from "@tchannel/frame";

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

/** The frames of an encoded message, split at frame boundaries by the codec's own reader. */
export function framesOf(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  new FrameReader().push(bytes, (frame) => out.push(Buffer.from(frame)));
  return out;
}

/** A raw call req to the fault server's service (CRC-32C), fragmented when the body needs it. */
export function callReqFrame(id: number, call: { endpoint?: string; bodySize?: number; ttl?: number; caller?: string; fill?: number } = {}): Buffer {
  const { endpoint = "echo", bodySize = 2, ttl = 5000, caller = "probe", fill = 1 } = call;
  return encodeCallReq({
    id,
    ttl,
    tracing: EMPTY_TRACING,
    service: "fault",
    headers: { cn: caller, as: "raw" },
    checksumType: ChecksumType.Crc32C,
    args: [Buffer.from(endpoint), Buffer.alloc(0), Buffer.alloc(bodySize, fill)],
  });
}

export async function waitFor(condition: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = performance.now() + ms;
  while (!(await condition())) {
    if (performance.now() > end) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
