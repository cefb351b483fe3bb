/**
 * Payload records from the runtime as a process: they leave stdout asynchronously, batched,
 * so the test checks that none is lost, the last ones included, when SIGTERM ends it.
 */
import { describe, expect, it } from 'vitest';
import { MODELS } from './helpers.js';
import { freshRequest, spawnRuntime, urlFrom } from './spawn-runtime.js';

const ROW = Array.from({ length: 64 }, (_, i) => i / 64);
const BODY = JSON.stringify({
  inputs: [{ name: 'input', shape: [1, 64], datatype: 'FP32', data: ROW }],
});
const REQUESTS = 120;

describe('payload records on stdout', () => {
  it('writes one record per request, every one of them before the process exits on SIGTERM', async () => {
    const rt = spawnRuntime({
      MODEL_URI: MODELS.tiny,
      MODEL_NAME: 'tiny',
      PAYLOAD_LOG_SAMPLE_RATIO: '1',
      SHUTDOWN_DELAY_MS: '0',
    });
    try {
      const url = urlFrom(await rt.waitFor(/"msg":"listening; loading model"/));
      await rt.waitFor(/"msg":"model loaded, warmed up and checked: ready"/);
      // Eight clients at a time, so records are logged while earlier writes are under way.
      for (let i = 0; i < REQUESTS; i += 8) {
        const answers = await Promise.all(
          Array.from({ length: 8 }, () =>
            freshRequest(`${url}/v2/models/tiny/infer`, 'POST', BODY),
          ),
        );
        for (const a of answers) expect(a.status).toBe(200);
      }
      rt.child.kill('SIGTERM');
      expect(await rt.exited).toBe(0);
      const records = rt.lines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => l['name'] === 'payload');
      expect(records).toHaveLength(REQUESTS);
      expect(new Set(records.map((r) => r['request_id'])).size).toBe(REQUESTS);
      for (const r of records) expect(r).toMatchObject({ status: 200, model: 'tiny' });
    } finally {
      rt.child.kill('SIGKILL');
    }
  });
});
