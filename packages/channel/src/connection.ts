import { createRequire } from "node:module";
import { type Socket, connect } from "node:net";
import {
  type ArgSink,
  type AssembledMessage,
  type CallReqFrame,
  type CallReqMessage,
  type CallResFrame,
  type CallResMessage,
  EMPTY_TRACING,
  ErrorCode,
  FLAG_MORE_FRAGMENTS,
  FrameError,
  FrameReader,
  FrameType,
  IdTable,
  MAX_MESSAGE_ID,
  MessageAssembler,
  MessageTooLargeError,
  PartialMessageLimitError,
  NULL_ID,
  PROTOCOL_VERSION,
  type Frame,
  type OutgoingArg,
  argSize,
  decodeFrame,
  encodeCallReq,
  encodeCallReqPieces,
  encodeCallRes,
  encodeCallResPieces,
  encodeFrame,
} from "@tchannel/frame";
import { type TChannelError, FatalProtocolError, InvalidChecksumError, NetworkError, TimeoutError, errorFromPeer, errorFromWire } from "./errors.js";
import { EPHEMERAL_HOST_PORT } from "./host-port.js";
import { frameErrorChannel, publishFrameError } from "./diagnostics.js";

/** What a connection needs from its channel. */
export interface ConnectionOwner {
  /** The `host_port` to announce: the listening address, or 0.0.0.0:0. */
  readonly hostPort: string;
  readonly processName: string;
  readonly initTimeout: number;
  /** A frame must be whole this long after its first byte (ms). */
  readonly frameTimeout: number;
  readonly maxArgSize: number;
  readonly maxPartialMessages: number;
  readonly maxPartialBytes: number;
  /** The channel is closing: no new connections. */
  readonly closing: boolean;
  /** The largest call request accepted for the endpoint a first frame names (`maxRequestSize`). */
  requestSizeLimit(first: CallReqFrame): number;
  onIdentified(conn: Connection): void;
  onCallRequest(conn: Connection, message: AssembledMessage<CallReqFrame>): void;
  /**
   * The first frame of a call request: a sink to take its args as they arrive (a streamed
   * handler, which the owner starts now), or undefined to reassemble it for onCallRequest.
   */
  streamRequest?(conn: Connection, first: CallReqFrame): ArgSink | undefined;
  /** A cancel frame for `id` (spec §10): true if the owner answered it (a call it was running). */
  onCancel(conn: Connection, id: number): boolean;
  /** A call request broke mid-way (a bad frame; answered with BadRequest already). */
  onRequestFailed?(conn: Connection, id: number, error: Error): void;
  onClosed(conn: Connection, error: TChannelError | undefined): void;
}

/** An outbound call waiting for its response on this connection. */
export interface PendingCall {
  onResponse(frame: CallResFrame, args: [Buffer, Buffer, Buffer]): void;
  /** A streamed call: the sink that takes the response's args as they arrive (from its first frame). */
  streamResponse?(first: CallResFrame): ArgSink;
  onError(error: TChannelError): void;
}

type State = "handshaking" | "ready" | "closed";

/** Above this many arg bytes a message is written as pieces (no copy) rather than one buffer. */
const LARGE_MESSAGE = 16 * 1024;

function isLarge(args: readonly [Uint8Array, OutgoingArg, OutgoingArg]): boolean {
  return args[0].length + argSize(args[1]) + argSize(args[2]) > LARGE_MESSAGE;
}

/** Sent as `tchannel_version` in init (spec §4): this package's version, from its package.json. */
const LIBRARY_VERSION: string = (createRequire(import.meta.url)("../package.json") as { version: string }).version;

/**
 * What every outbound socket of this thread reads into (Node's `onread`), instead of a new
 * ArrayBuffer per read. One buffer serves them all: a read's bytes are handled (copied where
 * kept, `FrameReader.push`) before the callback returns, and the next read of any socket comes
 * after. Measured at 256 KiB (issue 18): the client's GCs per 1,000 calls 37 -> 25, CPU per call
 * -15%. Node offers `onread` only for sockets it creates: accepted ones read as before.
 */
let sharedReadBuffer: Buffer | undefined;
const READ_BUFFER_SIZE = 64 * 1024;

/**
 * Within one tick, every this many frames the socket gets what was written so far, rather than all
 * of it at the tick's end: a connection answering or sending a batch of 100+ calls (one read's
 * worth at 256 in flight) would otherwise leave its peer idle while it works through the batch.
 * Counted in frames, not bytes, because what delays the peer is the time spent producing them.
 * Measured, 64 B calls, 3 interleaved rounds per setting on a shared machine (issue 18): at 256 in
 * flight 74-79k -> 94-136k calls/s and 7.2-7.6 -> 5.0-6.8 us CPU per call; at 32, 57-78k -> 67-77k
 * (every 8 frames: 67-94k and 62-89k); 4 KiB at 32 in flight, within the noise.
 */
const RUN_PUSH_FRAMES = 16;

/** How long a closed connection may take to flush what it wrote before its socket is destroyed. */
const CLOSE_FLUSH_TIMEOUT = 1000;

/**
 * One TCP connection speaking TChannel v2: the init handshake (spec §4, §14.1), frame I/O, message
 * ids, reassembly of fragmented messages (spec §9), outbound calls waiting for responses, pings,
 * and the protocol's answers to bad input (spec §14.3-14.4, docs/known-hazards.md). It knows nothing
 * of handlers or schemes: complete inbound calls go to its owner.
 */
export class Connection {
  readonly direction: "in" | "out";
  /** The peer's `host_port` from init, or its socket address when it sent 0.0.0.0:0. */
  remoteHostPort = "";
  /** Whether the peer listens at `remoteHostPort` (it did not send 0.0.0.0:0). */
  remoteListening = false;
  remoteProcessName = "";
  /**
   * No new calls go over this connection: the peer said it is draining it (an error frame with id
   * 0xffffffff), or it was opened before this channel listened (it announced 0.0.0.0:0).
   */
  draining = false;
  /** The `host:port` this side dialled (outbound connections): the peer may announce another. */
  dialledHostPort: string | undefined;
  readonly ready: Promise<void>;
  /** Resolves once the socket is destroyed (its 'close' event), whoever closed it. */
  readonly closed: Promise<void>;

  readonly #socket: Socket;
  readonly #owner: ConnectionOwner;
  // A frame split across socket reads is gathered in one reused buffer; the assemblers copy
  // what they keep (issue 18: one copy of a large message's bytes, not a buffer per frame).
  readonly #reader = new FrameReader({ reuseSplitFrames: true });
  readonly #requests: MessageAssembler;
  readonly #responses: MessageAssembler;
  /** Not a Map: see IdTable (a Map here kept half of what a busy client allocated alive). */
  readonly #pending = new IdTable<PendingCall>();
  readonly #pings = new IdTable<(error?: TChannelError) => void>();
  #state: State = "handshaking";
  #nextId = 1;
  #corked = false;
  /**
   * Frames written this tick that lie back to back in one buffer (the frame slab hands out
   * consecutive frames contiguously), from `#runHead`'s start to `#runEnd` (a byte offset in its
   * ArrayBuffer): given to the socket as one buffer rather than one write each.
   */
  #runHead: Buffer | undefined;
  #runEnd = 0;
  /** Frames written since the socket last got this tick's writes (see RUN_PUSH_FRAMES). */
  #heldFrames = 0;
  /** Streamed args whose readers are behind (ArgStream): the socket is paused while any is. */
  #readPausers = 0;
  /**
   * Streamed requests given up on (timeout, cancel) whose remaining frames are dropped quietly
   * (an IdTable, not a Set, for the reason in id-table.ts: one entry per abandoned call).
   */
  readonly #droppedRequests = new IdTable<true>();
  #initTimer: NodeJS.Timeout | undefined;
  /** Expires unfinished fragmented requests at their TTL; armed only while there are some. */
  #expiryTimer: NodeJS.Timeout | undefined;
  #expiryAt = Number.POSITIVE_INFINITY;
  /** Frames read so far, the number of the one half-read and since when (see #checkFrameDeadline). */
  #framesIn = 0;
  #partialFrameNo = -1;
  #partialFrameSince = 0;
  #frameTimer: NodeJS.Timeout | undefined;
  /** The reader's frame callback, made once rather than per socket read. */
  readonly #onFrame = (bytes: Buffer, transient: boolean): void => this.#onFrameBytes(bytes, transient);
  #resolveReady!: () => void;
  #rejectReady!: (error: TChannelError) => void;

  constructor(socket: Socket, direction: "in" | "out", owner: ConnectionOwner) {
    this.#socket = socket;
    this.direction = direction;
    this.#owner = owner;
    this.#requests = new MessageAssembler({
      maxArgSize: owner.maxArgSize,
      maxMessageSize: (first) => owner.requestSizeLimit(first as CallReqFrame),
      maxPartialMessages: owner.maxPartialMessages,
      maxPartialBytes: owner.maxPartialBytes,
      streamFor: owner.streamRequest ? (first) => owner.streamRequest!(this, first as CallReqFrame) : undefined,
    });
    this.#responses = new MessageAssembler({
      maxArgSize: owner.maxArgSize,
      streamFor: (first) => this.#pending.get(first.id)?.streamResponse?.(first as CallResFrame),
    });
    this.ready = new Promise<void>((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    // Callers await `ready` only when they need it; an unobserved rejection is not a crash.
    this.ready.catch(() => {});
    this.closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.#onData(chunk, false));
    socket.on("error", (err) => this.close(new NetworkError(`socket error: ${err.message}`, { hostPort: this.remoteHostPort || undefined }, { cause: err })));
    socket.on("close", () => this.close(new NetworkError("connection closed by peer", { hostPort: this.remoteHostPort || undefined })));
    this.#initTimer = setTimeout(() => this.close(new TimeoutError(`init handshake not completed within ${owner.initTimeout}ms`)), owner.initTimeout);
    this.#initTimer.unref();
    if (direction === "out") {
      if (socket.connecting) socket.once("connect", () => this.#sendInit(FrameType.InitReq, 1));
      else this.#sendInit(FrameType.InitReq, 1);
    }
  }

  /** Opens an outbound connection to `host:port`; its socket reads into the shared read buffer. */
  static dial(host: string, port: number, owner: ConnectionOwner): Connection {
    sharedReadBuffer ??= Buffer.allocUnsafeSlow(READ_BUFFER_SIZE);
    let conn: Connection | undefined;
    const socket = connect({
      host,
      port,
      onread: {
        buffer: sharedReadBuffer,
        callback: (n: number, buf: Uint8Array): boolean => {
          conn!.#onData(buf.subarray(0, n) as Buffer, true);
          return true; // false would pause the socket; back-pressure pauses it explicitly (pauseReading)
        },
      },
    });
    conn = new Connection(socket, "out", owner);
    return conn;
  }

  get isReady(): boolean {
    return this.#state === "ready";
  }

  get isClosed(): boolean {
    return this.#state === "closed";
  }

  /** Outbound calls waiting for an answer on this connection (for least-pending selection). */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /** Sends a call request and registers its pending entry; sets `message.id` and returns it. */
  sendCall(message: CallReqMessage, pending: PendingCall): number {
    const id = this.#allocateId();
    message.id = id;
    if (isLarge(message.args)) {
      const pieces = encodeCallReqPieces(message);
      this.#pending.set(id, pending);
      this.writePieces(pieces);
    } else {
      const bytes = encodeCallReq(message);
      this.#pending.set(id, pending);
      this.write(bytes);
    }
    return id;
  }

  /** Sends a whole call response (large args go out as views of the handler's bytes). */
  sendResponse(message: CallResMessage): void {
    if (isLarge(message.args)) this.writePieces(encodeCallResPieces(message));
    else this.write(encodeCallRes(message));
  }

  /**
   * Writes frames given as pieces (FragmentWriter) in one writev: Node's socket keeps the pieces
   * as they are, so a large message's args reach the kernel without being copied.
   */
  writePieces(pieces: readonly Buffer[]): void {
    if (this.#state === "closed") return;
    if (pieces.length === 1) {
      this.write(pieces[0]!);
      return;
    }
    const socket = this.#socket;
    this.#writeRun(); // frames written before these go first
    socket.cork();
    for (let i = 0; i < pieces.length; i++) socket.write(pieces[i]!);
    socket.uncork();
  }

  /** Registers a streamed call's pending entry and returns its message id; the caller writes its frames. */
  startCall(pending: PendingCall): number {
    const id = this.#allocateId();
    this.#pending.set(id, pending);
    return id;
  }

  /** Resolves when the socket takes more bytes: at once below its high-water mark, else on 'drain' (or close). */
  whenWritable(): Promise<void> {
    const socket = this.#socket;
    if (!socket.writableNeedDrain || this.#state === "closed") return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        socket.off("drain", done);
        socket.off("close", done);
        resolve();
      };
      socket.on("drain", done);
      socket.on("close", done);
    });
  }

  /** A streamed arg's reader fell behind: stop reading the socket until it catches up (resumeReading). */
  pauseReading(): void {
    if (this.#readPausers++ === 0) this.#socket.pause();
  }

  resumeReading(): void {
    if (this.#readPausers > 0 && --this.#readPausers === 0 && this.#state !== "closed") this.#socket.resume();
  }

  /** A streamed inbound call ended early (timeout, cancel): drop the rest of its request frames. */
  discardRequest(id: number): void {
    if (!this.#requests.has(id)) return;
    this.#requests.discard(id);
    if (this.#droppedRequests.size >= 1024) this.#droppedRequests.clear();
    this.#droppedRequests.set(id, true);
  }

  /** Forgets an outbound call (timed out or cancelled): a late answer is dropped quietly. */
  abandon(id: number): void {
    this.#pending.delete(id);
    this.#responses.discard(id);
  }

  /** Sends a cancel frame for an outbound call (spec §10) and forgets it. */
  cancel(id: number, why: string): void {
    this.abandon(id);
    if (this.#state === "ready") this.write(encodeFrame({ type: FrameType.Cancel, id, ttl: 0, tracing: EMPTY_TRACING, why }));
  }

  /** Round-trips a ping (spec §10). Resolves with the time taken in ms. */
  ping(timeout: number): Promise<number> {
    const started = performance.now();
    return new Promise<number>((resolve, reject) => {
      const id = this.#allocateId();
      const timer = setTimeout(() => {
        this.#pings.delete(id);
        reject(new TimeoutError(`ping not answered within ${timeout}ms`, { hostPort: this.remoteHostPort }));
      }, timeout);
      this.#pings.set(id, (error) => {
        clearTimeout(timer);
        if (error) reject(error);
        else resolve(performance.now() - started);
      });
      this.write(encodeFrame({ type: FrameType.PingReq, id }));
    });
  }

  /** Answers an inbound call with an error frame (spec §10). */
  sendError(id: number, code: number, tracing: Uint8Array, message: string): void {
    if (this.#state === "closed") return;
    // An error message is for logs; keep it well inside one frame.
    const text = message.length > 4096 ? `${message.slice(0, 4093)}...` : message;
    this.write(encodeFrame({ type: FrameType.Error, id, code, tracing, message: text }));
    if (frameErrorChannel.hasSubscribers) publishFrameError("out", id, code, text, this.remoteHostPort);
  }

  /** Bytes read from and written to the socket so far (for connection metrics). */
  get bytesRead(): number {
    return this.#socket.bytesRead;
  }

  get bytesWritten(): number {
    return this.#socket.bytesWritten;
  }

  /**
   * Writes bytes. The first write of a tick goes out at once when nothing is queued, so the peer
   * starts on it while we produce the rest; the tick's later writes are corked, and pushed to the
   * socket every RUN_PUSH_FRAMES frames and at the tick's end. (Corking all of them made the two
   * sides work in turns, batch after batch: 76k -> 112k calls/s at 32 in flight, 64 B, same CPU
   * per call; issue 7.) Node buffers what the socket cannot take
   * yet, so a slow reader delays calls instead of failing them (the failure tchannel-node shows at
   * 32+ concurrent 256 KiB calls, known-hazards #5).
   */
  write(bytes: Buffer): void {
    if (this.#state === "closed") return;
    if (!this.#corked) {
      this.#corked = true;
      const idle = this.#socket.writableLength === 0;
      if (idle) this.#socket.write(bytes);
      this.#socket.cork();
      process.nextTick(endOfTick, this);
      if (idle) return;
    }
    // Back-to-back frames go to the socket as one buffer: each socket write costs a queue entry,
    // its callback and an iovec (14 frames of 110 B: 6.5-7.9 us corked one by one, 3.5 as one).
    const head = this.#runHead;
    if (head !== undefined && bytes.byteOffset === this.#runEnd && bytes.buffer === head.buffer) {
      this.#runEnd += bytes.length;
    } else {
      this.#writeRun();
      this.#runHead = bytes;
      this.#runEnd = bytes.byteOffset + bytes.length;
    }
    if (++this.#heldFrames >= RUN_PUSH_FRAMES) this.#push();
  }

  /** Hands the socket everything written so far this tick; later writes stay corked. */
  #push(): void {
    this.#writeRun();
    this.#heldFrames = 0;
    this.#socket.uncork();
    this.#socket.cork();
  }

  /** The tick's writes are done: the run, then everything corked, goes to the socket. */
  endOfTick(): void {
    this.#writeRun();
    this.#heldFrames = 0;
    this.#corked = false;
    this.#socket.uncork();
  }

  /** Hands the run of back-to-back frames, if any, to the (corked) socket as one buffer. */
  #writeRun(): void {
    const head = this.#runHead;
    if (head === undefined) return;
    this.#runHead = undefined;
    const length = this.#runEnd - head.byteOffset;
    this.#socket.write(length === head.length ? head : Buffer.from(head.buffer, head.byteOffset, length));
  }

  /** Closes the connection; every call waiting on it fails with `error` (a NetworkError by default). */
  close(error?: TChannelError): void {
    if (this.#state === "closed") return;
    this.#state = "closed";
    clearTimeout(this.#initTimer);
    clearTimeout(this.#expiryTimer);
    clearTimeout(this.#frameTimer);
    const failure = error ?? new NetworkError("connection closed", { hostPort: this.remoteHostPort || undefined });
    this.#rejectReady(failure);
    const pending = this.#pending.values();
    this.#pending.clear();
    for (const p of pending) p.onError(failure);
    for (const done of this.#pings.values()) done(failure);
    this.#pings.clear();
    if (this.#corked) {
      this.#writeRun();
      this.#socket.uncork();
    }
    this.#socket.end();
    this.#socket.destroySoon();
    if (!this.#socket.destroyed) {
      // A peer that stopped reading (frozen, SIGSTOP) would keep our unflushed bytes, and the
      // socket, for ever: give the flush a moment, then destroy.
      const socket = this.#socket;
      const timer = setTimeout(() => socket.destroy(), CLOSE_FLUSH_TIMEOUT);
      timer.unref();
      socket.once("close", () => clearTimeout(timer));
    }
    this.#owner.onClosed(this, error);
  }

  /** Sends a fatal protocol error frame, then closes (spec §10: code 0xff). */
  #fatal(id: number, message: string): void {
    this.sendError(id, ErrorCode.FatalProtocol, EMPTY_TRACING, message);
    this.close(new FatalProtocolError(message, { hostPort: this.remoteHostPort || undefined }));
  }

  #allocateId(): number {
    // Ids run 1..0xfffffffe per direction (spec §14.2), skipping any still in use after a wrap.
    do {
      this.#nextId = this.#nextId >= MAX_MESSAGE_ID ? 1 : this.#nextId + 1;
    } while (this.#pending.has(this.#nextId) || this.#pings.has(this.#nextId));
    return this.#nextId;
  }

  #sendInit(type: typeof FrameType.InitReq | typeof FrameType.InitRes, id: number): void {
    const headers = {
      host_port: this.#owner.hostPort,
      process_name: this.#owner.processName,
      tchannel_language: "node",
      tchannel_language_version: process.versions.node,
      tchannel_version: LIBRARY_VERSION,
    };
    this.write(encodeFrame({ type, id, version: PROTOCOL_VERSION, headers }));
  }

  /**
   * A frame must be whole within `frameTimeout` of its first byte, whatever trickles in meanwhile
   * (known-hazards #4: a peer dribbling a byte now and then held a connection for hours against
   * an inactivity timer). One timer, armed only while a frame is half-read, and moved on rather
   * than re-made for each frame: large messages leave a frame half-read after most chunks.
   */
  #checkFrameDeadline(): void {
    if (this.#reader.buffered === 0 || this.#state === "closed") return;
    if (this.#partialFrameNo !== this.#framesIn) {
      this.#partialFrameNo = this.#framesIn;
      this.#partialFrameSince = performance.now();
    }
    if (this.#frameTimer === undefined) {
      this.#frameTimer = setTimeout(onFrameTimer, this.#owner.frameTimeout, this);
      this.#frameTimer.unref();
    }
  }

  /** The frame timer fired: close if the frame half-read now is the one that began too long ago. */
  frameTimerFired(): void {
    this.#frameTimer = undefined;
    if (this.#reader.buffered === 0 || this.#state === "closed") return;
    if (this.#partialFrameNo !== this.#framesIn) {
      this.#checkFrameDeadline(); // another frame began since: its own deadline
      return;
    }
    if (this.#readPausers > 0) {
      // We paused reading for a slow stream reader: not the peer's fault; its clock starts again.
      this.#partialFrameSince = performance.now();
    }
    const late = performance.now() - this.#partialFrameSince;
    if (late >= this.#owner.frameTimeout) {
      this.#fatal(NULL_ID, `frame not completed within ${this.#owner.frameTimeout}ms of its first byte`);
      return;
    }
    this.#frameTimer = setTimeout(onFrameTimer, Math.ceil(this.#owner.frameTimeout - late), this);
    this.#frameTimer.unref();
  }

  /** `reused`: the chunk is the shared read buffer, overwritten by the next read (see `dial`). */
  #onData(chunk: Buffer, reused: boolean): void {
    try {
      this.#reader.push(chunk, this.#onFrame, reused);
      if (this.#reader.buffered > 0) this.#checkFrameDeadline();
    } catch (err) {
      // FrameSizeError: framing is lost; nothing else can be trusted.
      if (err instanceof FrameError) this.#fatal(NULL_ID, `tchannel read failure: ${err.message}`);
      else throw err;
    }
  }

  #onFrameBytes(bytes: Buffer, transient: boolean): void {
    this.#framesIn++;
    if (this.#state === "closed") return;
    // Only the assemblers know to copy from a reused buffer; every other frame gets its own bytes.
    const type = bytes[2];
    if (transient && type !== FrameType.CallReq && type !== FrameType.CallRes && type !== FrameType.CallReqContinue && type !== FrameType.CallResContinue) {
      bytes = Buffer.from(bytes);
      transient = false;
    }
    let frame: Frame;
    try {
      frame = decodeFrame(bytes);
    } catch (err) {
      this.#onBadFrame(err as FrameError, bytes);
      return;
    }
    if (this.#state === "handshaking") {
      this.#onHandshakeFrame(frame);
      return;
    }
    switch (frame.type) {
      case FrameType.CallReq:
      case FrameType.CallReqContinue: {
        if (frame.type === FrameType.CallReqContinue && this.#droppedRequests.has(frame.id)) {
          if ((frame.flags & FLAG_MORE_FRAGMENTS) === 0) this.#droppedRequests.delete(frame.id);
          return;
        }
        let message: AssembledMessage | undefined;
        try {
          message = this.#requests.push(frame, transient);
        } catch (err) {
          this.#onBadFrame(err as FrameError, bytes);
          return;
        }
        if (message) this.#owner.onCallRequest(this, message as AssembledMessage<CallReqFrame>);
        else if (frame.type === FrameType.CallReq && this.#requests.has(frame.id)) this.#armExpiry(this.#requests.nextDeadline);
        return;
      }
      case FrameType.CallRes:
      case FrameType.CallResContinue: {
        if (!this.#pending.has(frame.id)) {
          // A late answer to a call we gave up on (spec §14.3): drop it.
          this.#responses.discard(frame.id);
          return;
        }
        let message: AssembledMessage | undefined;
        try {
          message = this.#responses.push(frame, transient);
        } catch (err) {
          const pending = this.#pending.get(frame.id);
          this.#pending.delete(frame.id);
          const e = err as FrameError;
          const Cls = e.code === "TCHANNEL_FRAME_CHECKSUM" ? InvalidChecksumError : FatalProtocolError;
          pending?.onError(new Cls(`bad response: ${e.message}`, { hostPort: this.remoteHostPort }));
          return;
        }
        if (message) {
          const pending = this.#pending.get(frame.id)!;
          this.#pending.delete(frame.id);
          pending.onResponse(message.frame as CallResFrame, message.args);
        } else if ((frame.flags & FLAG_MORE_FRAGMENTS) === 0) {
          // A streamed response's last frame: its sink has had every chunk.
          this.#pending.delete(frame.id);
        }
        return;
      }
      case FrameType.Error: {
        if (frameErrorChannel.hasSubscribers) publishFrameError("in", frame.id, frame.code, frame.message, this.remoteHostPort);
        if (frame.code === ErrorCode.FatalProtocol) {
          // The peer is closing the connection: every call on it is lost (spec §10).
          this.close(errorFromWire(frame.code, `peer ${this.remoteHostPort} reported: ${frame.message}`, { hostPort: this.remoteHostPort }));
          return;
        }
        if (frame.id === NULL_ID) {
          // A notice about the connection, not a call: Hyperbahn sends Declined "draining: ..."
          // after an unadvertise. Calls in flight go on; new ones go elsewhere.
          this.draining = true;
          return;
        }
        const pending = this.#pending.get(frame.id);
        if (pending) {
          this.#pending.delete(frame.id);
          this.#responses.discard(frame.id);
          pending.onError(errorFromPeer(frame.code, frame.message, { hostPort: this.remoteHostPort }));
        } else {
          this.#pings.get(frame.id)?.(errorFromWire(frame.code, frame.message));
          this.#pings.delete(frame.id);
        }
        return;
      }
      case FrameType.Cancel: {
        const partial = this.#requests.has(frame.id);
        if (this.#owner.onCancel(this, frame.id) || !partial) return;
        // A request cancelled while its fragments are still arriving (its sender timed out or was
        // cancelled mid-body): its partial message is dropped now rather than held until its TTL,
        // its remaining fragments, if any still come, quietly, and the cancel is answered (0x02).
        this.discardRequest(frame.id);
        this.sendError(frame.id, ErrorCode.Cancelled, EMPTY_TRACING, "request cancelled by the caller before it was all sent");
        return;
      }
      case FrameType.PingReq:
        this.write(encodeFrame({ type: FrameType.PingRes, id: frame.id }));
        return;
      case FrameType.PingRes: {
        const done = this.#pings.get(frame.id);
        this.#pings.delete(frame.id);
        done?.();
        return;
      }
      case FrameType.Claim:
        return; // implemented nowhere (spec §10); parsed and ignored
      case FrameType.InitReq:
      case FrameType.InitRes:
        this.#fatal(frame.id, `unexpected ${frame.type === FrameType.InitReq ? "init req" : "init res"} after the handshake`);
        return;
    }
  }

  /**
   * A frame that failed to decode or reassemble. Inside a call request, the frame boundary is
   * intact, so the call is answered with BadRequest and the connection goes on; an unknown frame
   * type or a broken response makes the stream untrustworthy: fatal error and close (spec §14.4).
   */
  #onBadFrame(err: FrameError, bytes: Buffer): void {
    if (!(err instanceof FrameError)) throw err;
    const type = bytes[2];
    const id = err.frameId ?? NULL_ID;
    if (this.#state === "ready" && (type === FrameType.CallReq || type === FrameType.CallReqContinue) && id !== NULL_ID) {
      // The assembler has dropped the message (and swallows its remaining fragments): one answer.
      if (err instanceof MessageTooLargeError) {
        this.sendError(id, ErrorCode.BadRequest, EMPTY_TRACING, `call request too large: ${err.message} (maxRequestSize)`);
      } else if (err instanceof PartialMessageLimitError) {
        this.sendError(id, ErrorCode.Busy, EMPTY_TRACING, `too many unfinished requests on this connection: ${err.message}`);
      } else {
        this.sendError(id, ErrorCode.BadRequest, EMPTY_TRACING, `tchannel read failure: ${err.message}`);
      }
      this.#owner.onRequestFailed?.(this, id, err);
      return;
    }
    this.#fatal(type === undefined || err.code === "TCHANNEL_FRAME_UNKNOWN_TYPE" ? NULL_ID : id, `tchannel read failure: ${err.message}`);
  }

  /** Runs `#expire` at `deadline` (a `performance.now()` time), unless it runs earlier already. */
  #armExpiry(deadline: number): void {
    if (deadline >= this.#expiryAt || this.#state === "closed") return;
    clearTimeout(this.#expiryTimer);
    this.#expiryAt = deadline;
    // +1: never before the deadline, whatever the timer's rounding.
    this.#expiryTimer = setTimeout(() => this.#expire(), Math.max(0, Math.ceil(deadline - performance.now())) + 1);
    this.#expiryTimer.unref();
  }

  /** Answers Timeout for fragmented requests whose TTL passed before their last fragment came. */
  #expire(): void {
    this.#expiryTimer = undefined;
    this.#expiryAt = Number.POSITIVE_INFINITY;
    if (this.#state === "closed") return;
    for (const first of this.#requests.expire(performance.now())) {
      const ttl = (first as CallReqFrame).ttl;
      const message = `request timed out: its last fragment did not arrive within its TTL of ${ttl}ms`;
      this.sendError(first.id, ErrorCode.Timeout, first.tracing, message);
      this.#owner.onRequestFailed?.(this, first.id, new Error(message));
    }
    if (this.#requests.pending > 0) this.#armExpiry(this.#requests.nextDeadline);
  }

  #onHandshakeFrame(frame: Frame): void {
    const expected = this.direction === "in" ? FrameType.InitReq : FrameType.InitRes;
    if (frame.type !== expected) {
      this.#fatal(NULL_ID, `expected ${this.direction === "in" ? "init req" : "init res"} first, got frame type 0x${frame.type.toString(16)}`);
      return;
    }
    const init = frame as Extract<Frame, { type: typeof FrameType.InitReq | typeof FrameType.InitRes }>;
    if (init.version !== PROTOCOL_VERSION && this.direction === "out") {
      this.#fatal(NULL_ID, `unsupported protocol version ${init.version}`);
      return;
    }
    const hostPort = init.headers.host_port;
    const processName = init.headers.process_name;
    if (hostPort === undefined || processName === undefined) {
      this.#fatal(init.id, `init ${this.direction === "in" ? "req" : "res"} is missing ${hostPort === undefined ? "host_port" : "process_name"}`);
      return;
    }
    this.remoteListening = hostPort !== EPHEMERAL_HOST_PORT;
    this.remoteHostPort = this.remoteListening ? hostPort : `${this.#socket.remoteAddress}:${this.#socket.remotePort}`;
    this.remoteProcessName = processName;
    if (this.direction === "in") this.#sendInit(FrameType.InitRes, init.id);
    clearTimeout(this.#initTimer);
    this.#state = "ready";
    this.#owner.onIdentified(this);
    this.#resolveReady();
  }
}

function onFrameTimer(conn: Connection): void {
  conn.frameTimerFired();
}

function endOfTick(conn: Connection): void {
  conn.endOfTick();
}
