import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HeldMirror {
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
}

/**
 * A stand-in shadow on loopback that holds every request it gets until release(), then
 * forwards them to `upstream` (a real shadow runtime) and passes its answers back, or
 * answers 503 without one. Counts the most requests it held at once.
 */
export interface HoldingShadow {
  readonly url: string;
  readonly received: HeldMirror[];
  /** Requests received and not yet answered. */
  held(): number;
  maxHeld(): number;
  release(): Promise<void>;
  close(): Promise<void>;
}

export async function startHoldingShadow(upstream?: string): Promise<HoldingShadow> {
  const received: HeldMirror[] = [];
  const waiting: { mirror: HeldMirror; res: ServerResponse }[] = [];
  let maxHeld = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const mirror = { url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      received.push(mirror);
      waiting.push({ mirror, res });
      maxHeld = Math.max(maxHeld, waiting.length);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const answer = async ({ mirror, res }: { mirror: HeldMirror; res: ServerResponse }) => {
    if (upstream === undefined) return void res.writeHead(503).end('{"error":"held"}');
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(mirror.headers))
      if (typeof v === 'string' && k !== 'host' && k !== 'content-length') headers[k] = v;
    const reply = await fetch(`${upstream}${mirror.url}`, {
      method: 'POST',
      headers,
      body: mirror.body,
    });
    const out: Record<string, string> = {};
    reply.headers.forEach((v, k) => {
      if (k !== 'content-length' && k !== 'transfer-encoding' && k !== 'connection') out[k] = v;
    });
    res.writeHead(reply.status, out).end(Buffer.from(await reply.arrayBuffer()));
  };
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    held: () => waiting.length,
    maxHeld: () => maxHeld,
    release: async () => {
      await Promise.all(waiting.splice(0).map(answer));
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const w of waiting.splice(0)) w.res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
