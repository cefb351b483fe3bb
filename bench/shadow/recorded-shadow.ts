/**
 * A shadow that answers every copy with one recorded answer of the real runtime, for
 * bench/shadow/run.ts --shadow recorded. The bench sends one request over and over, so the
 * runtime's shadow would answer every copy with these same bytes; the stable pod sends,
 * reads and compares exactly as it does against the runtime. What changes is the other CPU:
 * the runtime's shadow spends 150-200 µs per copy there, and on this two-vCPU machine a busy
 * CPU 1 slows CPU 0 (a neighbour 25 % busy raised a runtime's CPU per request on CPU 0 by
 * about 7 %), which a cluster, with the shadow's pods elsewhere, does not do to the stable pod.
 *
 *   node --import tsx bench/shadow/recorded-shadow.ts --port 18081 --answer FILE
 *
 * FILE is JSON: { status, headers, body (base64) }. Loopback only; GET /v2/health/ready
 * answers 200 for the bench's readiness check. Keep-alive and pipelining as node:http does.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

/** What the runtime answered to the bench's request, as recorded by run.ts. */
export interface RecordedAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** The body, base64. */
  readonly body: string;
}

function main(): void {
  const { values } = parseArgs({
    options: { port: { type: 'string' }, answer: { type: 'string' } },
  });
  if (values.port === undefined || values.answer === undefined)
    throw new Error('usage: recorded-shadow.ts --port N --answer FILE');
  const recorded = JSON.parse(readFileSync(values.answer, 'utf8')) as RecordedAnswer;
  const body = Buffer.from(recorded.body, 'base64');
  const headers = { ...recorded.headers, 'content-length': String(body.length) };
  const server = createServer((request, response) => {
    if (request.method === 'GET') {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"ready":true}');
      return;
    }
    request.resume();
    request.once('end', () => response.writeHead(recorded.status, headers).end(body));
  });
  server.keepAliveTimeout = 60_000;
  server.listen(Number(values.port), '127.0.0.1');
  const stop = (): void => void server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main();
