import type { Connection } from "./connection.js";
import { ConnectionMessage, connectionCloseChannel, connectionOpenChannel } from "./diagnostics.js";

// The publish points of `tchannel:connection:open` and `tchannel:connection:close`: one message
// per connection, the same object in both events (subscribers may key state on it).
const messages = new WeakMap<Connection, ConnectionMessage>();

function messageOf(conn: Connection, localHostPort: string): ConnectionMessage {
  let message = messages.get(conn);
  if (message === undefined) {
    message = new ConnectionMessage(conn.direction, conn.remoteHostPort, conn.remoteProcessName, localHostPort, conn);
    messages.set(conn, message);
  }
  return message;
}

/** The connection finished its init handshake. */
export function connectionOpened(conn: Connection, localHostPort: string): void {
  if (connectionOpenChannel.hasSubscribers) connectionOpenChannel.publish(messageOf(conn, localHostPort));
}

/** The connection closed (`error`: why, if it failed). */
export function connectionClosed(conn: Connection, localHostPort: string, error: unknown): void {
  if (!connectionCloseChannel.hasSubscribers) return;
  const message = messageOf(conn, localHostPort);
  message.error = error;
  connectionCloseChannel.publish(message);
}
