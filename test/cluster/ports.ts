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

/**
 * A picked port is free only until it is released: another process (a parallel suite, a
 * component of another cluster) can bind it before ours does. The component then fails
 * with this message in its error or log.
 */
export function isPortRace(error: unknown): boolean {
  return error instanceof Error && /address already in use|EADDRINUSE/.test(error.message);
}

/**
 * Starts something on a freshly picked loopback port and, when the port was taken between
 * the pick and the bind, picks another and starts again (three attempts). `start` must
 * clean up after itself when it throws and must surface the bind error in its message.
 */
export async function startOnFreePort<T>(
  what: string,
  start: (port: number) => Promise<T>,
  log: (line: string) => void = (): void => undefined,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const [port] = await pickFreePorts(1);
    if (port === undefined) throw new Error('pickFreePorts(1) returned no port');
    try {
      return await start(port);
    } catch (error) {
      if (attempt >= 3 || !isPortRace(error)) throw error;
      log(`${what}: port ${port} was taken before it bound it; picking another (${attempt}/2)`);
    }
  }
}
