import type { Peer } from "./peer.js";

/**
 * Least-pending peer selection with a random tie-break: the peer with the fewest calls in flight,
 * preferring connected peers (no handshake to wait for) and peers not yet tried by this call.
 * Returns undefined when every candidate has been tried.
 */
export function choosePeer(candidates: readonly Peer[], tried: ReadonlySet<Peer> | undefined): Peer | undefined {
  let best: Peer | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  let ties = 0;
  for (const peer of candidates) {
    if (tried?.has(peer)) continue;
    // Unconnected peers rank after any connected one, so an idle pool warms up lazily.
    const score = peer.pending + (peer.isConnected ? 0 : 1_000_000);
    if (score < bestScore) {
      best = peer;
      bestScore = score;
      ties = 1;
    } else if (score === bestScore && Math.random() * ++ties < 1) {
      best = peer;
    }
  }
  return best;
}
