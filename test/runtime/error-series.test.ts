import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, MODELS, startRuntime, type TestRuntime } from './helpers.js';

const INFERENCE_ROUTES = [
  '/predict',
  '/v1/models/:name:predict',
  '/v2/models/:name/infer',
  '/v2/models/:name/versions/:version/infer',
];

/** The value of one modeldeploy_requests_total series in a /metrics text, if it is there. */
function requestsCounted(text: string, route: string, code: string): number | undefined {
  const prefix = `modeldeploy_requests_total{route="${route}",code="${code}",`;
  const line = text.split('\n').find((l) => l.startsWith(prefix));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

// Prometheus' increase() needs two samples of a series: one that first appears at 1 reads
// 0 over the window, so a canary's first errors were invisible to its analysis until a
// second scrape had seen them. Series that exist at 0 from the start count the first error.
describe('error series of the inference routes', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startRuntime(MODELS.tiny, { MODEL_NAME: 'mlp-tiny' });
  });
  afterAll(async () => {
    await rt.close();
  });

  it('exist at 0 before the first request, for the codes canary analysis counts by default', async () => {
    const text = (await rt.server.app.inject({ method: 'GET', url: '/metrics' })).body;
    for (const route of INFERENCE_ROUTES) {
      for (const code of ['400', '500'])
        expect(requestsCounted(text, route, code), `${route} ${code}`).toBe(0);
    }
    // Not for the health and metadata routes, nor for codes nothing has answered yet.
    expect(text).not.toMatch(/modeldeploy_requests_total\{route="\/health"/);
    expect(requestsCounted(text, '/predict', '200')).toBeUndefined();
  });

  it('count the first error from 0', async () => {
    expect((await call(rt.server, 'POST', '/predict', { inputs: { input: [[1]] } })).status).toBe(
      400,
    );
    const text = (await rt.server.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(requestsCounted(text, '/predict', '400')).toBe(1);
    expect(requestsCounted(text, '/predict', '500')).toBe(0);
  });
});
