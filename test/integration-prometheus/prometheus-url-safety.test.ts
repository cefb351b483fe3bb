import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analysisSpec } from '../../operator/src/api/model-deployment-spec.js';
import { analyzeCanary, isRefusedAnalysis } from '../../operator/src/rollout/canary-analysis.js';

/**
 * What a ModelDeployment's prometheusUrl can make the operator do. A loopback HTTP server
 * plays an internal service that is not Prometheus, with a secret in every answer: the
 * operator must not fetch a URL outside its allow-list, must not follow redirects, and must
 * never copy an answer into the result that status shows to namespace users.
 */

const SECRET = 'internal-token-7f3a';
const hits: string[] = [];
let server: Server | undefined;
let base = '';

function answer(path: string): { status: number; type: string; body: string; location?: string } {
  if (path.startsWith('/html'))
    return { status: 502, type: 'text/html', body: `<h1>${SECRET}</h1>` };
  if (path.startsWith('/json-error'))
    return {
      status: 400,
      type: 'application/json',
      body: JSON.stringify({ status: 'error', errorType: 'bad_data', error: SECRET }),
    };
  if (path.startsWith('/odd-type'))
    return {
      status: 422,
      type: 'application/json',
      body: JSON.stringify({ status: 'error', errorType: `${SECRET} x`, error: 'x' }),
    };
  if (path.startsWith('/other-json'))
    return { status: 200, type: 'application/json', body: JSON.stringify({ secret: SECRET }) };
  if (path.startsWith('/huge')) return { status: 200, type: 'application/json', body: '' };
  if (path.startsWith('/redirect'))
    return { status: 302, type: 'text/plain', body: '', location: `${base}/target/api/v1/query` };
  return { status: 404, type: 'text/plain', body: SECRET };
}

/** Bytes /huge got to write before its client stopped reading (set when the socket closes). */
let hugeWritten: Promise<number> = Promise.resolve(0);
const HUGE_BYTES = 256 * 1024 * 1024;

/** A JSON answer of 256 MiB, written only as fast as the client reads it. */
function streamHugeAnswer(response: ServerResponse): void {
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  let written = 0;
  hugeWritten = new Promise((resolve) => response.once('close', () => resolve(written)));
  response.writeHead(200, { 'content-type': 'application/json' });
  const pump = (): void => {
    while (written < HUGE_BYTES) {
      written += chunk.length;
      if (!response.write(chunk)) {
        response.once('drain', pump);
        return;
      }
    }
    response.end();
  };
  pump();
}

beforeAll(async () => {
  server = createServer((request, response) => {
    hits.push(request.url ?? '');
    if (request.url?.startsWith('/huge')) {
      streamHugeAnswer(response);
      return;
    }
    const { status, type, body, location } = answer(request.url ?? '');
    response
      .writeHead(status, { 'content-type': type, ...(location ? { location } : {}) })
      .end(body);
  });
  await new Promise<void>((done) => server?.listen(0, '127.0.0.1', done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((done) => server?.close(() => done()));
});

async function analyzeAt(path: string, allowed: string[]) {
  const debug: { details: Record<string, unknown>; message: string }[] = [];
  const result = await analyzeCanary({
    analysis: analysisSpec.parse({ prometheusUrl: `${base}${path}` }),
    namespace: 'team-a',
    name: 'scorer',
    model: 'scorer',
    version: '2',
    now: new Date(),
    allowedPrometheusUrls: allowed,
    timeoutMs: 3000,
    log: { debug: (details, message) => debug.push({ details, message }) },
  });
  return { result, debug };
}

describe('prometheusUrl safety', () => {
  it('does not fetch a URL outside the allow-list and says which setting allows it', async () => {
    hits.length = 0;
    for (const allowed of [[], ['http://prometheus.monitoring.svc:9090'], [`${base}/prometheus`]]) {
      const { result } = await analyzeAt('/html', allowed);
      expect(isRefusedAnalysis(result)).toBe(true);
      expect(result).toMatchObject({ verdict: 'Inconclusive', refused: 'PrometheusUrlNotAllowed' });
      expect(result.message).toMatch(
        /not in the operator's allow-list.*analysis\.allowedPrometheusUrls/,
      );
    }
    expect(hits).toEqual([]);
  });

  it.each([
    ['/html', /answered HTTP 502: not JSON/],
    ['/json-error', /answered HTTP 400: the query was rejected \(bad_data;/],
    ['/odd-type', /answered HTTP 422: the query was rejected \(error;/],
    ['/other-json', /answered HTTP 200: JSON that is not a Prometheus query response/],
  ])(
    'keeps what %s answered out of the result and logs it at debug level',
    async (path, reason) => {
      const { result, debug } = await analyzeAt(path, [base]);
      expect(isRefusedAnalysis(result)).toBe(false);
      expect(result.verdict).toBe('Inconclusive');
      expect(result.message).toMatch(reason);
      expect(JSON.stringify(result)).not.toContain(SECRET);
      expect(JSON.stringify(debug)).toContain(SECRET);
    },
  );

  it('does not follow a redirect to a URL the allow-list never saw', async () => {
    hits.length = 0;
    const { result } = await analyzeAt('/redirect', [`${base}/redirect`]);
    expect(result.verdict).toBe('Inconclusive');
    expect(result.message).toMatch(
      /answered HTTP 302: a redirect, which the operator does not follow/,
    );
    expect(hits.some((path) => path.startsWith('/target'))).toBe(false);
    expect(hits.length).toBeGreaterThan(0);
  });

  it('stops reading an answer larger than any query result, and says so', async () => {
    const { result } = await analyzeAt('/huge', [base]);
    expect(result.verdict).toBe('Inconclusive');
    expect(result.message).toMatch(
      /answered HTTP 200: more than 1 MiB, which no single-value query answer needs/,
    );
    // The operator let go early instead of buffering the whole answer in its memory.
    expect(await hugeWritten).toBeLessThan(HUGE_BYTES / 4);
  });
});
