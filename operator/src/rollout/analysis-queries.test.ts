import { describe, expect, it } from 'vitest';
import { analysisWindowSeconds, trackQueries } from './analysis-queries.js';
import type { TrackSeries } from './analysis-selector.js';

const canary: TrackSeries = {
  namespace: 'prod',
  name: 'iris',
  model: 'iris',
  version: '2.0.0',
  track: 'canary',
};
const codes = { errorStatusCodes: ['5xx', '400'], ignoredStatusCodes: ['429', '503'] };
const ROUTES = 'route=~"/predict|.*:predict|.*/infer|/inference.GRPCInferenceService/ModelInfer"';

describe('trackQueries', () => {
  it('selects one track of one ModelDeployment, inference routes only, by its modeldeployment label', () => {
    const q = trackQueries(canary, codes, 30);
    const sel = `modeldeployment="prod/iris",model="iris",version="2.0.0",track="canary",${ROUTES}`;
    expect(q.errorRate).toBe(
      `(sum(rate(modeldeploy_requests_total{${sel},code=~"5..|400",code!~"429|503"}[30s])) or vector(0)) / ` +
        `sum(rate(modeldeploy_requests_total{${sel},code!~"429|503"}[30s]))`,
    );
    expect(q.latencyP95).toBe(
      `histogram_quantile(0.95, sum by (le) (rate(modeldeploy_request_duration_seconds_bucket{${sel},code!~"429|503"}[30s])))`,
    );
  });

  it('counts inference over REST and gRPC (ModelInfer), and no probe or metadata call', () => {
    const q = trackQueries(canary, codes, 30);
    const regex = /route=~"([^"]*)"/.exec(q.errorRate)?.[1] ?? '';
    // Prometheus anchors a label regex at both ends.
    const counted = (route: string): boolean => new RegExp(`^(?:${regex})$`).test(route);
    for (const route of [
      '/predict',
      '/v1/models/:name:predict',
      '/v2/models/:name/infer',
      '/v2/models/:name/versions/:version/infer',
      '/inference.GRPCInferenceService/ModelInfer',
    ])
      expect(counted(route), route).toBe(true);
    for (const route of [
      '/ready',
      '/v2/health/ready',
      '/v2/models/:name',
      '/inference.GRPCInferenceService/ServerLive',
      '/inference.GRPCInferenceService/ModelReady',
      '/inference.GRPCInferenceService/ModelMetadata',
    ])
      expect(counted(route), route).toBe(false);
  });

  it('two namespaces with the same model name and version get different selectors', () => {
    const staging = trackQueries({ ...canary, namespace: 'staging' }, codes, 30);
    const prod = trackQueries(canary, codes, 30);
    expect(staging.errorRate).toContain('modeldeployment="staging/iris"');
    expect(staging.errorRate).not.toBe(prod.errorRate);
  });

  it('the stable track without a version matches whatever version stable serves', () => {
    const q = trackQueries(
      { namespace: 'prod', name: 'iris', model: 'iris', track: 'stable' },
      codes,
      30,
    );
    expect(q.errorRate).toContain(
      '{modeldeployment="prod/iris",model="iris",track="stable",route=~',
    );
    expect(q.errorRate).not.toContain('version=');
  });

  it('leaves the ignored-codes matcher out when nothing is ignored', () => {
    const q = trackQueries(canary, { errorStatusCodes: ['5xx'], ignoredStatusCodes: [] }, 30);
    expect(q.errorRate).not.toContain('code!~');
    expect(q.errorRate).toContain('code=~"5.."');
  });

  it('escapes labels, adds extra matchers, and never lets them replace its own', () => {
    const q = trackQueries(
      { ...canary, model: 'a"b', extraMatchers: { namespace: 'prod', track: 'stable' } },
      codes,
      10,
    );
    expect(q.errorRate).toContain('model="a\\"b"');
    expect(q.latencyP95).toContain('namespace="prod"');
    expect(q.latencyP95).toContain('track="canary"');
    expect(q.latencyP95).not.toContain('track="stable"');
  });
});

describe('analysisWindowSeconds', () => {
  it('never goes below the analysis interval or one second, and rounds up', () => {
    expect(analysisWindowSeconds(60, 10)).toBe(60);
    expect(analysisWindowSeconds(5, 10.2)).toBe(11);
    expect(analysisWindowSeconds(0, 0)).toBe(1);
  });
});
