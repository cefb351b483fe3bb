/**
 * The runtime's spans through OTLP/HTTP into a real Jaeger v2 (built from its Go module by
 * test/cluster/build-jaeger.sh), read back through Jaeger's query API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startJaeger, type RunningJaeger } from '../support/jaeger.js';
import { call, MODELS, startRuntime, waitUntil, type TestRuntime } from './helpers.js';
import { jaegerProcessTags, jaegerSpans } from './jaeger-spans.js';
import { expectOneSharedBatch, serverSpans, type SpanRecord } from './trace-tree.js';

const ROW = Array.from({ length: 64 }, (_, i) => (i % 7) / 7);
const REQUESTS = 5;

describe.each(['worker', 'main'])('traces in Jaeger, SESSION_THREAD=%s', (thread) => {
  let jaeger: RunningJaeger;
  let rt: TestRuntime | undefined;
  const service = `md-runtime-test-${thread}-${process.pid}`;

  beforeAll(async () => {
    jaeger = await startJaeger();
  });
  afterAll(async () => {
    await rt?.close();
    await jaeger?.stop();
  });

  it('holds the span tree of concurrent requests that shared a batch, linked both ways', async () => {
    rt = await startRuntime(MODELS.tiny, {
      MODEL_NAME: 'tiny',
      MODEL_VERSION: 'v3',
      MODEL_TRACK: 'canary',
      SESSION_THREAD: thread,
      OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpEndpoint,
      OTEL_SERVICE_NAME: service,
      OTEL_RESOURCE_ATTRIBUTES: `deployment.environment.name=test,k8s.pod.name=scorer%2D${thread}`,
      // The batch leaves when every request has joined it, never on the timer.
      BATCH_DISPATCH: 'delay',
      BATCH_MAX_DELAY_MS: '30000',
      BATCH_MAX_SIZE: String(REQUESTS),
    });
    const body = { inputs: [{ name: 'input', shape: [1, 64], datatype: 'FP32', data: ROW }] };
    const answers = await Promise.all(
      Array.from({ length: REQUESTS }, () =>
        call(rt!.server, 'POST', '/v2/models/tiny/infer', body),
      ),
    );
    for (const a of answers) expect(a.status).toBe(200);
    // Shutdown flushes the exporter's buffer to Jaeger.
    await rt.close();
    rt = undefined;

    let spans: SpanRecord[] = [];
    await waitUntil(async () => {
      spans = await jaegerSpans(jaeger.queryUrl, service);
      return serverSpans(spans).length >= REQUESTS && spans.some((s) => s.name === 'inference');
    }, 20_000).catch((err: Error) => {
      throw new Error(`${err.message}; spans: ${spans.length}\n${jaeger.output().slice(-3000)}`);
    });
    expectOneSharedBatch(spans, REQUESTS, { name: 'tiny', version: 'v3', track: 'canary' });
    // Jaeger keeps the OTel span kind as a tag.
    for (const s of serverSpans(spans)) expect(s.attributes['span.kind']).toBe('server');
    const processes = await jaegerProcessTags(jaeger.queryUrl, service);
    expect(processes.length).toBeGreaterThan(0);
    for (const tags of processes)
      expect(tags).toMatchObject({
        'deployment.environment.name': 'test',
        'k8s.pod.name': `scorer-${thread}`,
      });
  });
});
