import { request } from 'node:http';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, MODELS, startRuntime, waitUntil, type TestRuntime } from './helpers.js';

interface Sent {
  /** Sends the rest of the body (its last byte). */
  finish(): void;
  readonly done: Promise<{ status: number; body: string }>;
}

/** A request over a real socket; a body is sent but for its last byte, kept for finish(). */
function send(url: string, body = ''): Sent {
  const bytes = Buffer.from(body);
  let finish: () => void = () => {};
  const done = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(
      url,
      {
        method: bytes.length > 0 ? 'POST' : 'GET',
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': String(bytes.length) },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    if (bytes.length === 0) {
      req.end();
      return;
    }
    req.write(bytes.subarray(0, bytes.length - 1));
    finish = () => req.end(bytes.subarray(bytes.length - 1));
  });
  return { finish, done };
}

describe('bounded cost per request', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startRuntime(
      MODELS.tiny,
      { MODEL_NAME: 'mlp-tiny', REQUEST_MAX_ROWS: '20000', SESSION_THREAD: 'main' },
      { listen: true },
    );
  });
  afterAll(() => rt.close());

  it('refuses a body of 200,000 inputs at once, naming the limit', async () => {
    const entry = { name: 'x' };
    const body = JSON.stringify({ inputs: Array.from({ length: 200_000 }, () => entry) });
    expect(body.length).toBeGreaterThan(2_000_000);
    const res = await call(rt.server, 'POST', '/v2/models/mlp-tiny/infer', body);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe(
      "inputs: 200000 entries, but the model has 1 input ('input'); name each input at most once",
    );
  });

  it('refuses a binary input whose shape claims more than its bytes, without allocating it', async () => {
    const header = JSON.stringify({
      inputs: [
        {
          name: 'input',
          shape: [100_000_000, 64],
          datatype: 'FP32',
          parameters: { binary_data_size: 256 },
        },
      ],
    });
    const res = await rt.server.app.inject({
      method: 'POST',
      url: '/v2/models/mlp-tiny/infer',
      headers: {
        'content-type': 'application/octet-stream',
        'inference-header-content-length': String(header.length),
      },
      payload: Buffer.concat([Buffer.from(header), Buffer.alloc(256)]),
    });
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body).error).toMatch(
      /input 'input': binary_data_size is 256 bytes; shape \[100000000,64\] of FP32 needs 25600000000/,
    );
  });

  it('refuses rows and elements over REQUEST_MAX_ROWS / REQUEST_MAX_ELEMENTS with 413 naming them', async () => {
    const small = await startRuntime(MODELS.tiny, {
      MODEL_NAME: 'mlp-tiny',
      REQUEST_MAX_ROWS: '4',
      REQUEST_MAX_ELEMENTS: '200',
    });
    try {
      const rows = (n: number) => Array.from({ length: n }, () => Array<number>(64).fill(0.5));
      const tooMany = await call(small.server, 'POST', '/predict', { inputs: { input: rows(5) } });
      expect(tooMany.status).toBe(413);
      expect(tooMany.body.error).toBe(
        "input 'input': 5 rows is more than REQUEST_MAX_ROWS=4; split the request",
      );
      const v2 = await call(small.server, 'POST', '/v2/models/mlp-tiny/infer', {
        inputs: [{ name: 'input', shape: [4, 64], datatype: 'FP32', data: rows(4).flat() }],
      });
      expect(v2.status).toBe(413);
      expect(v2.body.error).toMatch(/256 elements, more than REQUEST_MAX_ELEMENTS=200/);
      const v1 = await call(small.server, 'POST', '/v1/models/mlp-tiny:predict', {
        instances: rows(3),
      });
      expect(v1.status).toBe(200);
    } finally {
      await small.close();
    }
  });

  it('refuses data nested deeper than any tensor before parsing it', async () => {
    const depth = 200_000;
    const body = `{"inputs":{"input":${'['.repeat(depth)}${']'.repeat(depth)}}}`;
    const res = await call(rt.server, 'POST', '/predict', body);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe(
      'the body nests arrays and objects deeper than 64 levels; no tensor needs that',
    );
  });

  // 10,000 rows of 64: decoded in ten chunks, each followed by a turn of the event loop. The
  // second has a bad last element: it does no inference (which would yield anyway), only decoding.
  const rows = (): (number | string)[][] =>
    Array.from({ length: 10_000 }, (_, i) =>
      Array.from({ length: 64 }, (_, j) => ((i + j) % 10) / 10),
    );
  const badLast = (): (number | string)[][] => {
    const r = rows();
    r[9_999]![63] = 'x';
    return r;
  };
  it.each([
    ['a large valid request', rows, 200],
    ['a large request whose last element is bad', badLast, 400],
  ])(
    'answers a health check sent after %s before that request is answered',
    async (_what, make, status) => {
      const body = JSON.stringify({ inputs: { input: make() } });
      const sockets: Socket[] = [];
      rt.server.app.server.on('connection', (socket: Socket) => sockets.push(socket));
      const order: string[] = [];
      const big = send(`${rt.url}/predict`, body);
      const bigDone = big.done.then((res) => {
        order.push('predict');
        return res;
      });
      // The server has read all but the last byte of the body…
      await waitUntil(() => sockets.some((s) => s.bytesRead >= body.length - 1));
      // …then it gets that byte and the health check at once: it starts on the large request
      // first, and answers the health check while it still works on the large one.
      big.finish();
      const healthDone = send(`${rt.url}/health`).done.then((res) => {
        order.push('health');
        return res;
      });
      const [bigRes, healthRes] = await Promise.all([bigDone, healthDone]);
      expect(bigRes.status).toBe(status);
      expect(healthRes.status).toBe(200);
      expect(order).toEqual(['health', 'predict']);
    },
  );
});
