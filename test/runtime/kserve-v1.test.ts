import { describe, expect, it } from 'vitest';
import { loadModel } from '../../runtime/src/model/load-model.js';
import { buildServer } from '../../runtime/src/server.js';
import { call, MODELS, testConfig } from './helpers.js';

/**
 * The calls the kserve Python SDK's InferenceRESTClient makes with protocol v1:
 * is_server_live → GET / and {"status": "alive"}; is_model_ready → GET /v1/models/<name>
 * ({"name", "ready"}, or 503 meaning not ready); and the V1 list GET /v1/models.
 */
describe('KServe V1 routes the kserve SDK calls', () => {
  it('answers liveness, the model list and model readiness while loading and once ready', async () => {
    const config = testConfig(MODELS.tiny, { MODEL_NAME: 'scorer' });
    const server = await buildServer(config);
    try {
      const liveWhileLoading = await call(server, 'GET', '/');
      expect(liveWhileLoading.status).toBe(200);
      expect(liveWhileLoading.body).toEqual({ status: 'alive' });
      expect(await call(server, 'GET', '/v1/models')).toMatchObject({
        status: 200,
        body: { models: ['scorer'] },
      });
      const loading = await call(server, 'GET', '/v1/models/scorer');
      expect(loading.status).toBe(503);
      expect(loading.body).toEqual({ name: 'scorer', ready: false });

      server.attachModel(await loadModel(config));
      expect(await call(server, 'GET', '/v1/models/scorer')).toMatchObject({
        status: 200,
        body: { name: 'scorer', ready: true },
      });
      expect((await call(server, 'GET', '/')).body).toEqual({ status: 'alive' });
      const other = await call(server, 'GET', '/v1/models/other');
      expect(other.status).toBe(404);
      expect(other.body.error).toBe("model 'other' not found; this server serves 'scorer'");
      const predict = await call(server, 'POST', '/v1/models/scorer:predict', {
        instances: [Array(64).fill(0.25)],
      });
      expect(predict.status).toBe(200);
      expect((predict.body.predictions as number[][])[0]).toHaveLength(10);
    } finally {
      await server.shutdown();
    }
  });

  it('reports a failed model session as not live on GET /', async () => {
    const config = testConfig(MODELS.tiny, { MODEL_NAME: 'scorer' });
    const server = await buildServer(config);
    try {
      server.state.markFailed(
        'model session failed: the onnxruntime worker thread exited (code 1)',
      );
      const dead = await call(server, 'GET', '/');
      expect(dead.status).toBe(503);
      expect(dead.body).toEqual({
        status: 'failed',
        reason: 'model session failed: the onnxruntime worker thread exited (code 1)',
      });
      expect((await call(server, 'GET', '/v1/models/scorer')).status).toBe(503);
    } finally {
      await server.shutdown();
    }
  });
});
