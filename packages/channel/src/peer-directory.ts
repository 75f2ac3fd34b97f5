import type { Connection, ConnectionOwner } from "./connection.js";
import { hostPortProblem } from "./call-arguments.js";
import { InvalidArgumentError } from "./errors.js";
import { Peer } from "./peer.js";

/**
 * The peers a channel knows, by `host:port`: every one it has called or been called by, the
 * known peers that calls without a `hostPort` choose from, and the routers (Hyperbahn) used when
 * there are none.
 */
export class PeerDirectory {
  readonly #owner: ConnectionOwner;
  readonly #peers = new Map<string, Peer>();
  readonly known: Peer[] = [];
  /** Relays (Hyperbahn routers) for calls with no `hostPort` and no known peers. */
  routers: Peer[] = [];

  constructor(owner: ConnectionOwner) {
    this.#owner = owner;
  }

  /** The peer at `hostPort` for this side's use (calls, pings, lists), made on first use: kept. */
  get(hostPort: string): Peer {
    const peer = this.#lookup(hostPort);
    peer.pinned = true;
    return peer;
  }

  #lookup(hostPort: string): Peer {
    let peer = this.#peers.get(hostPort);
    if (!peer) {
      const problem = hostPortProblem("hostPort", hostPort);
      if (problem !== undefined) throw new InvalidArgumentError(problem);
      this.#peers.set(hostPort, (peer = new Peer(hostPort, this.#owner)));
    }
    return peer;
  }

  addKnown(hostPort: string): void {
    const peer = this.get(hostPort);
    if (!this.known.includes(peer)) this.known.push(peer);
  }

  /** The peers a call may go to: the one it names, else the known peers, else the routers. */
  candidates(hostPort: string | undefined): readonly Peer[] {
    return hostPort !== undefined ? [this.get(hostPort)] : this.known.length > 0 ? this.known : this.routers;
  }

  /** A connection completed its handshake: a peer that listens can be called back over it. */
  onIdentified(conn: Connection): void {
    if (conn.remoteListening) this.#lookup(conn.remoteHostPort).add(conn);
  }

  onClosed(conn: Connection): void {
    this.#forget(conn.remoteHostPort, conn);
    if (conn.dialledHostPort !== undefined) this.#forget(conn.dialledHostPort, conn);
  }

  /**
   * Removes `conn` from the peer at `hostPort`, and the peer itself once nothing of it is alive
   * and this side never used it: every peer that connects announces a host_port, and a hostile one can
   * announce a new one each time (issue 15: a connection's state dies with it).
   */
  #forget(hostPort: string, conn: Connection): void {
    const peer = this.#peers.get(hostPort);
    if (peer === undefined) return;
    peer.remove(conn);
    // Only peers this side never used: one it called may sit in a call's candidates or retries.
    if (!peer.pinned && peer.isIdle) this.#peers.delete(hostPort);
  }

  /** Peers held (for tests of what a closed connection leaves behind). */
  get size(): number {
    return this.#peers.size;
  }

  /** Closes every peer's connections; returns them (to wait for their sockets). */
  closeAll(): Connection[] {
    const all: Connection[] = [];
    for (const peer of this.#peers.values()) all.push(...peer.close());
    return all;
  }
}
