import { describe, expect, it } from "@jest/globals";
import type { Peer } from "./peer.js";
import { choosePeer } from "./peer-selector.js";

function peer(name: string, pending: number, isConnected = true): Peer {
  return { hostPort: name, pending, isConnected } as unknown as Peer;
}

describe("choosePeer: least pending, random tie-break", () => {
  it("picks the connected peer with the fewest calls in flight", () => {
    const peers = [peer("a", 3), peer("b", 1), peer("c", 0, false), peer("d", 2)];
    expect(choosePeer(peers, undefined)?.hostPort).toBe("b");
  });

  it("skips peers already tried, and returns undefined when all were", () => {
    const peers = [peer("a", 0), peer("b", 5)];
    expect(choosePeer(peers, new Set([peers[0]!]))?.hostPort).toBe("b");
    expect(choosePeer(peers, new Set(peers))).toBeUndefined();
  });

  it("spreads ties evenly", () => {
    const peers = [peer("a", 0), peer("b", 0), peer("c", 0)];
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 3000; i++) counts[choosePeer(peers, undefined)!.hostPort]!++;
    for (const n of Object.values(counts)) expect(n).toBeGreaterThan(800);
  });
});
