/**
 * The API server as pods on the real node reach it. kube-apiserver binds 127.0.0.1 (the
 * test cluster must not listen on the machine's other networks), and Endpoints refuse
 * loopback addresses, so the `kubernetes` Service points at the node's bridge address
 * instead, where this relay listens and copies bytes to 127.0.0.1. TLS passes through
 * untouched: pods verify the API server's own certificate (SAN 10.96.0.1) and present
 * their ServiceAccount token to it. k3s's agent runs a load balancer of the same kind.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface ApiServerRelay {
  /** `ip:port` the relay listens on: the Endpoints of the `kubernetes` Service. */
  readonly address: string;
  /** Stop listening and cut the relayed connections (pods' watches end with them). */
  close(): Promise<void>;
}

/** Both halves die together: an error or close on either side ends the other. */
function pipeBoth(inbound: Socket, outbound: Socket): void {
  inbound.pipe(outbound);
  outbound.pipe(inbound);
  const end = (): void => {
    inbound.destroy();
    outbound.destroy();
  };
  inbound.once('close', end);
  outbound.once('close', end);
  inbound.on('error', end);
  outbound.on('error', end);
}

/** Listen on `listenIp:port` (same port number as the API server) and relay to loopback. */
export async function startApiServerRelay(listenIp: string, port: number): Promise<ApiServerRelay> {
  const open = new Set<Socket>();
  const server: Server = createServer((inbound) => {
    open.add(inbound);
    inbound.once('close', () => open.delete(inbound));
    pipeBoth(inbound, createConnection({ host: '127.0.0.1', port }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: Error) =>
      reject(
        new Error(
          `the API server relay could not listen on ${listenIp}:${port} (${error.message}); is the node bridge up and the port free there?`,
        ),
      ),
    );
    server.listen({ host: listenIp, port }, () => resolve());
  });
  return {
    address: `${listenIp}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
