import net, { type AddressInfo } from 'node:net';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { answerOutputs } from '../../runtime/src/shadow/answer-outputs.js';
import { MAX_PIPELINED_COPIES } from '../../runtime/src/shadow/shadow-client.js';
import { createShadowMetrics } from '../../runtime/src/shadow/shadow-metrics.js';
import { ShadowMirror, type AnsweredRequest } from '../../runtime/src/shadow/shadow-mirror.js';

const ANSWER_JSON = JSON.stringify({
  model_name: 'm',
  outputs: [{ name: 'y', datatype: 'FP32', shape: [1, 2], data: [0.25, 0.75] }],
});
const ANSWER = `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(ANSWER_JSON)}\r\n\r\n${ANSWER_JSON}`;

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0).reverse()) close();
});

/** A shadow that answers every request; `reads` gets the number of requests in each read. */
async function countingShadow(reads: number[]): Promise<number> {
  const server = net.createServer((socket) => {
    socket.on('data', (data: Buffer) => {
      const requests = data.toString('latin1').split('POST ').length - 1;
      reads.push(requests);
      socket.write(ANSWER.repeat(requests));
    });
  });
  closers.push(() => server.close());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function answered(i: number): AnsweredRequest {
  return {
    requestId: `r-${i}`,
    protocol: 'v2',
    url: '/v2/models/m/infer',
    headers: { 'content-type': 'application/json' },
    body: Buffer.from(`{"n":${i}}`),
    served: () => answerOutputs('v2', { body: ANSWER_JSON, jsonLength: undefined }),
  };
}

async function comparedCount(registry: Registry): Promise<number> {
  const metric = await registry.getSingleMetric('modeldeploy_shadow_compared_total')?.get();
  return metric?.values.reduce((sum, v) => sum + v.value, 0) ?? 0;
}

describe('ShadowMirror send window', () => {
  it(`sends a window as soon as ${MAX_PIPELINED_COPIES} copies wait, in one pipelined write, and compares every one`, async () => {
    const reads: number[] = [];
    const port = await countingShadow(reads);
    const registry = new Registry();
    // A window that never ends within the test: only the early send can get the copies out.
    const mirror = new ShadowMirror(
      {
        targetUrl: `http://127.0.0.1:${port}`,
        percent: 100,
        tolerance: 0,
        maxInflight: 1_000,
        timeoutMs: 5_000,
      },
      createShadowMetrics(registry),
      pino({ level: 'silent' }),
      undefined,
      60_000,
    );
    closers.push(() => mirror.close());
    for (let i = 0; i < MAX_PIPELINED_COPIES; i++) mirror.send(answered(i));
    for (let polls = 0; polls < 500 && mirror.inFlight > 0; polls++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect(mirror.inFlight).toBe(0);
    expect(await comparedCount(registry)).toBe(MAX_PIPELINED_COPIES);
    const disagreed = await registry.getSingleMetric('modeldeploy_shadow_disagreed_total')?.get();
    expect(disagreed?.values.reduce((sum, v) => sum + v.value, 0) ?? 0).toBe(0);
    expect(reads).toEqual([MAX_PIPELINED_COPIES]);
  });
});
