import { describe, expect, it } from "@jest/globals";
import type { Connection, ConnectionOwner } from "./connection.js";
import { PeerDirectory } from "./peer-directory.js";

// A connection's state dies with it (issue 15 item 9): every peer that connects announces a
// host_port, and a hostile one can announce a new one each time.

const owner = {} as ConnectionOwner;
const conn = (remoteHostPort: string, dialledHostPort?: string) => ({ remoteListening: true, remoteHostPort, dialledHostPort }) as unknown as Connection;

describe("PeerDirectory", () => {
  it("forgets a peer known only from its connections once they close", () => {
    const peers = new PeerDirectory(owner);
    const conns = Array.from({ length: 500 }, (_, i) => conn(`10.0.${i >> 8}.${i & 255}:4040`));
    for (const c of conns) peers.onIdentified(c);
    expect(peers.size).toBe(500);
    for (const c of conns) peers.onClosed(c);
    expect(peers.size).toBe(0);
  });

  it("keeps peers this side uses (calls, known peers, routers), whatever closes", () => {
    const peers = new PeerDirectory(owner);
    peers.addKnown("10.0.0.1:1");
    peers.routers = [peers.get("10.0.0.2:2")];
    peers.candidates("10.0.0.3:3");
    const c = conn("10.0.0.3:3", "localhost:3");
    peers.get("localhost:3").add(c);
    peers.onIdentified(c);
    peers.onClosed(c);
    expect(peers.size).toBe(4);
    expect(peers.get("localhost:3").connections).toHaveLength(0);
    expect(peers.get("10.0.0.3:3").connections).toHaveLength(0);
  });
});
