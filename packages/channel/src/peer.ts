import { Connection, type ConnectionOwner } from "./connection.js";
import { ChannelClosedError, NetworkError } from "./errors.js";
import { parseHostPort } from "./host-port.js";

/**
 * A remote TChannel known by its listening `host:port`. It holds every ready connection to that
 * address, whichever side opened it (an inbound connection serves outbound calls too), and opens
 * one when a call needs it. A failed connect is not remembered: the next call tries again.
 */
export class Peer {
  readonly hostPort: string;
  readonly #owner: ConnectionOwner;
  readonly #connections: Connection[] = [];
  #connecting: Connection | undefined;

  constructor(hostPort: string, owner: ConnectionOwner) {
    parseHostPort(hostPort);
    this.hostPort = hostPort;
    this.#owner = owner;
  }

  /** Calls waiting on this peer's connections. */
  get pending(): number {
    let n = 0;
    for (const c of this.#connections) n += c.pendingCount;
    return n;
  }

  /** Used by this side (calls, pings, known peers, routers): kept when its connections close. */
  pinned = false;

  /** No connection, none being opened: nothing of this peer's is alive. */
  get isIdle(): boolean {
    return this.#connections.length === 0 && this.#connecting === undefined;
  }

  get isConnected(): boolean {
    return this.#connections.length > 0;
  }

  get connections(): readonly Connection[] {
    return this.#connections;
  }

  /** A ready connection right now, if there is one (the fast path of every call). */
  readyConnection(): Connection | undefined {
    const conns = this.#connections;
    if (conns.length === 1 && !conns[0]!.draining) return conns[0];
    let best: Connection | undefined;
    for (const c of conns) if (!c.draining && (best === undefined || c.pendingCount < best.pendingCount)) best = c;
    return best;
  }

  /** A ready connection, opening one (and waiting for its handshake) if needed. */
  async connection(): Promise<Connection> {
    const ready = this.readyConnection();
    if (ready) return ready;
    if (this.#owner.closing) throw new ChannelClosedError("the channel is closing: no new connections", { hostPort: this.hostPort });
    if (!this.#connecting) {
      const { host, port } = parseHostPort(this.hostPort);
      this.#connecting = Connection.dial(host, port, this.#owner);
      this.#connecting.dialledHostPort = this.hostPort;
    }
    const conn = this.#connecting;
    try {
      await conn.ready;
    } catch (err) {
      throw err instanceof NetworkError ? new NetworkError(`could not connect: ${err.message}`, { hostPort: this.hostPort }, { cause: err }) : err;
    } finally {
      if (this.#connecting === conn) this.#connecting = undefined;
    }
    // Kept under the address we dialled, whatever the peer announces (localhost vs 127.0.0.1, a
    // proxy, NAT), so the next call reuses it, as tchannel-go does; the announced address's peer
    // gets it too (PeerDirectory.onIdentified).
    if (!conn.isClosed) this.add(conn);
    return conn;
  }

  /** Called by the channel when a connection to this peer completes its handshake. */
  add(conn: Connection): void {
    if (!this.#connections.includes(conn)) this.#connections.push(conn);
  }

  /** Called by the channel when a connection closes. */
  remove(conn: Connection): void {
    const i = this.#connections.indexOf(conn);
    if (i >= 0) this.#connections.splice(i, 1);
    if (this.#connecting === conn) this.#connecting = undefined;
  }

  /** Closes this peer's connections (and one being opened); returns them. */
  close(): Connection[] {
    const all = [...this.#connections];
    if (this.#connecting !== undefined) all.push(this.#connecting);
    for (const c of all) c.close(new ChannelClosedError("channel closed", { hostPort: this.hostPort }));
    return all;
  }
}
