import { request } from 'node:http';
import { Readable } from 'node:stream';
import { deflateSync, gunzipSync, gzipSync, inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODELS, startRuntime, type TestRuntime } from './helpers.js';

interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  /** The body as sent, still compressed when content-encoding says so. */
  readonly bytes: Buffer;
}

/** One POST over a real loopback socket; the answer is not decompressed. */
function post(url: string, body: Buffer, headers: Record<string, string>): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', headers: { 'content-length': String(body.length), ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            bytes: Buffer.concat(chunks),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const decoded = (res: RawResponse): Record<string, unknown> => {
  const coding = res.headers['content-encoding'];
  const raw =
    coding === 'gzip'
      ? gunzipSync(res.bytes)
      : coding === 'deflate'
        ? inflateSync(res.bytes)
        : res.bytes;
  return JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
};

const rowFor = (i: number): number[] => Array.from({ length: 64 }, (_, j) => Math.cos(i + j / 7));
const rows = Array.from({ length: 20 }, (_, i) => rowFor(i));
const JSON_HEADERS = { 'content-type': 'application/json' };

describe('Content-Encoding on requests and Accept-Encoding on answers', () => {
  let rt: TestRuntime;
  let base: string;
  beforeAll(async () => {
    rt = await startRuntime(
      MODELS.tiny,
      { MODEL_NAME: 'mlp-tiny', BODY_LIMIT_BYTES: '262144' },
      { listen: true },
    );
    base = rt.url;
  });
  afterAll(() => rt.close());

  const routes: [string, string, unknown][] = [
    ['/predict', '/predict', { inputs: { input: rows } }],
    ['V1', '/v1/models/mlp-tiny:predict', { instances: rows }],
    [
      'V2',
      '/v2/models/mlp-tiny/infer',
      {
        id: 'x',
        inputs: [{ name: 'input', shape: [20, 64], datatype: 'FP32', data: rows.flat() }],
      },
    ],
  ];

  it.each(routes)(
    '%s: a gzip or deflate body gives the same answer as a plain one',
    async (_p, url, body) => {
      const json = Buffer.from(JSON.stringify(body));
      const plain = await post(`${base}${url}`, json, JSON_HEADERS);
      expect(plain.status).toBe(200);
      for (const [coding, bytes] of [
        ['gzip', gzipSync(json)],
        ['deflate', deflateSync(json)],
      ] as const) {
        const res = await post(`${base}${url}`, bytes, {
          ...JSON_HEADERS,
          'content-encoding': coding,
        });
        expect(res.status, `${coding}: ${res.bytes.toString().slice(0, 200)}`).toBe(200);
        expect(decoded(res)).toEqual(decoded(plain));
      }
    },
  );

  it.each(routes)(
    '%s: compresses the answer when the client accepts gzip or deflate',
    async (_p, url, body) => {
      const json = Buffer.from(JSON.stringify(body));
      const plain = await post(`${base}${url}`, json, JSON_HEADERS);
      expect(plain.headers['content-encoding']).toBeUndefined();
      for (const [accept, coding] of [
        ['gzip, deflate', 'gzip'],
        ['deflate', 'deflate'],
        ['br;q=1, gzip;q=0.5', 'gzip'],
        ['gzip;q=0, deflate', 'deflate'],
      ] as const) {
        const res = await post(`${base}${url}`, json, {
          ...JSON_HEADERS,
          'accept-encoding': accept,
        });
        expect(res.status).toBe(200);
        expect(res.headers['content-encoding'], accept).toBe(coding);
        expect(res.bytes.length).toBeLessThan(plain.bytes.length);
        expect(decoded(res)).toEqual(decoded(plain));
      }
      const refused = await post(`${base}${url}`, json, {
        ...JSON_HEADERS,
        'accept-encoding': 'gzip;q=0, br',
      });
      expect(refused.headers['content-encoding']).toBeUndefined();
    },
  );

  it('a gzip-compressed V2 binary body (tritonclient with request compression)', async () => {
    const header = Buffer.from(
      JSON.stringify({
        inputs: [
          {
            name: 'input',
            shape: [1, 64],
            datatype: 'FP32',
            parameters: { binary_data_size: 256 },
          },
        ],
      }),
    );
    const data = Buffer.from(Float32Array.from(rowFor(3)).buffer);
    const res = await post(
      `${base}/v2/models/mlp-tiny/infer`,
      gzipSync(Buffer.concat([header, data])),
      {
        'content-type': 'application/octet-stream',
        'inference-header-content-length': String(header.length),
        'content-encoding': 'gzip',
      },
    );
    expect(res.status, res.bytes.toString()).toBe(200);
    const plain = await post(
      `${base}/v2/models/mlp-tiny/infer`,
      Buffer.from(
        JSON.stringify({
          inputs: [{ name: 'input', shape: [1, 64], datatype: 'FP32', data: rowFor(3) }],
        }),
      ),
      JSON_HEADERS,
    );
    const outputs = (r: RawResponse) => (decoded(r).outputs as { data: number[] }[])[0]!.data;
    expect(outputs(res)).toEqual(outputs(plain));
  });

  it('refuses truncated gzip, unknown codings and text/plain with errors that say so', async () => {
    const json = Buffer.from(JSON.stringify({ inputs: { input: [rowFor(1)] } }));
    const gz = gzipSync(json);
    const truncated = await post(`${base}/predict`, gz.subarray(0, gz.length - 12), {
      ...JSON_HEADERS,
      'content-encoding': 'gzip',
    });
    expect(truncated.status).toBe(400);
    expect(decoded(truncated).error).toMatch(/not valid gzip data/);
    const notGzip = await post(`${base}/predict`, json, {
      ...JSON_HEADERS,
      'content-encoding': 'gzip',
    });
    expect(notGzip.status).toBe(400);
    expect(decoded(notGzip).error).toMatch(/not valid gzip data/);
    const br = await post(`${base}/predict`, json, { ...JSON_HEADERS, 'content-encoding': 'br' });
    expect(br.status).toBe(415);
    expect(decoded(br).error).toMatch(
      /unsupported Content-Encoding 'br'; send gzip, deflate or identity/,
    );
    const text = await post(`${base}/predict`, json, { 'content-type': 'text/plain' });
    expect(text.status).toBe(415);
    expect(decoded(text).error).toMatch(/unsupported content type 'text\/plain'/);
  });

  it('refuses a zip bomb with 413 after inflating about the body limit, not all of it', async () => {
    // 64 gzip members of 16 MiB of zeros each: 1 GiB once inflated, about 1 MiB on the wire.
    const member = gzipSync(Buffer.alloc(16 * 1024 * 1024), { level: 9 });
    let sent = 0;
    const bomb = Readable.from(
      (function* members() {
        for (let i = 0; i < 64; i++) {
          sent++;
          yield member;
        }
      })(),
    );
    const res = await rt.server.app.inject({
      method: 'POST',
      url: '/predict',
      headers: { ...JSON_HEADERS, 'content-encoding': 'gzip' },
      payload: bomb,
    });
    expect(res.statusCode).toBe(413);
    expect(JSON.parse(res.body).error).toBe(
      'request body is larger than BODY_LIMIT_BYTES=262144 once decompressed',
    );
    // The first member alone inflates past the limit. After that the server reads (without
    // inflating) at most the limit again, about 16 members, so that the client gets the answer.
    expect(sent).toBeLessThan(32);
  });
});
