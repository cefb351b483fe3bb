import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * How connections end when the server closes (SIGTERM, after SHUTDOWN_DELAY_MS), replacing
 * Node's closeIdleConnections, which server.close() calls:
 *
 * - Node counts a connection whose answer is ended but still being written as idle and
 *   destroys it: a client still reading a large answer gets it cut off (20 MB answered,
 *   4 MB received, in the test).
 * - It runs once, when the close begins: an answer already on its way then (headers decided
 *   before the drain, so no `Connection: close`) leaves its connection open as keep-alive,
 *   and the close waits for the client to hang up, up to keepAliveTimeout (72 s), past the
 *   shutdown grace.
 *
 * Here a connection with no answer in progress is ended at once, and one with an answer in
 * progress is ended (FIN after the last byte, never a reset) as soon as that answer is
 * fully handed to the socket.
 */
export function endConnectionsGracefully(server: Server): void {
  const sockets = new Set<Socket>();
  const answering = new Map<Socket, number>();
  let closing = false;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      answering.delete(socket);
    });
  });
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const socket = request.socket;
    answering.set(socket, (answering.get(socket) ?? 0) + 1);
    let counted = true;
    const answered = (): void => {
      if (!counted) return;
      counted = false;
      const left = (answering.get(socket) ?? 1) - 1;
      if (left > 0) {
        answering.set(socket, left);
        return;
      }
      answering.delete(socket);
      if (closing) socket.end();
    };
    response.once('finish', answered);
    response.once('close', answered);
  });
  server.closeIdleConnections = (): void => {
    closing = true;
    for (const socket of sockets) if (!answering.has(socket)) socket.end();
  };
}
