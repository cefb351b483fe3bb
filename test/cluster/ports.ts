import { createServer, type Server } from 'node:net';

/** Listen on an ephemeral loopback port and keep the socket open until released. */
function holdPort(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => resolve(server));
  });
}

function portOf(server: Server): number {
  const address = server.address();
  if (address === null || typeof address === 'string') {
    throw new Error(`expected a TCP address from a loopback listener, got ${String(address)}`);
  }
  return address.port;
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * Pick `count` distinct free ports on 127.0.0.1. All sockets are held open until every
 * port is chosen, so the kernel cannot hand the same port out twice within one call;
 * parallel suites get different ephemeral ports from the kernel as well.
 */
export async function pickFreePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) servers.push(await holdPort());
    return servers.map(portOf);
  } finally {
    await Promise.all(servers.map(close));
  }
}
