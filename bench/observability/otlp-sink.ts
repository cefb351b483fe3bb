import { createServer, type Server } from 'node:http';

/**
 * An OTLP/HTTP endpoint on loopback that answers 200 and keeps only counts: it stands for a
 * collector on another machine, so the runtime pays for making and exporting its spans and
 * this machine's two cores do not also pay for storing them.
 */
export interface OtlpSink {
  readonly endpoint: string;
  /** Export requests and body bytes received since the last reset. */
  counts(): { exports: number; bytes: number };
  reset(): void;
  close(): Promise<void>;
}

export async function startOtlpSink(): Promise<OtlpSink> {
  let exports = 0;
  let bytes = 0;
  const server: Server = createServer((req, res) => {
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('end', () => {
      if (req.url === '/v1/traces') exports++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the sink has no port');
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    counts: () => ({ exports, bytes }),
    reset: () => {
      exports = 0;
      bytes = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
