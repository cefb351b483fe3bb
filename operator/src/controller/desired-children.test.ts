import { describe, expect, it } from 'vitest';
import { parseModelDeployment, type ModelDeployment } from '../api/model-deployment.js';
import { decideRollout } from '../rollout/state.js';
import { desiredChildren } from './desired-children.js';

const golden = (name: string, value: number) => ({
  name,
  inputs: [{ name: 'input', shape: [1, 1], data: [1] }],
  outputs: [{ name: 'output', shape: [1, 1], data: [value] }],
});

function md(spec: Record<string, unknown>): ModelDeployment {
  const r = parseModelDeployment({
    metadata: { name: 'm', namespace: 'ns', uid: 'u', generation: 1 },
    spec,
  });
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.value;
}

function goldenEnv(children: ReturnType<typeof desiredChildren>, name: string): string | undefined {
  const dep = children.find((c) => c.kind.kind === 'Deployment' && c.object.metadata.name === name)
    ?.object as
    | {
        spec: { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } };
      }
    | undefined;
  return dep?.spec.template.spec.containers[0]?.env.find((e) => e.name === 'GOLDEN_REQUESTS')
    ?.value;
}

const base = {
  model: { version: '1', uri: 'https://x/v1.onnx' },
  goldenRequests: [golden('stable-check', 1)],
  canary: {
    model: { version: '2', uri: 'https://x/v2.onnx' },
    goldenRequests: [golden('candidate-check', 2)],
    steps: [{ weight: 50 }],
  },
};

describe('desiredChildren', () => {
  it('gives each track its own golden requests', () => {
    const resource = md(base);
    const decision = decideRollout({
      spec: resource.spec,
      previous: undefined,
      canary: { replicas: 0, readyReplicas: 0, available: false },
      stable: { version: '1', available: true },
      analysis: undefined,
      now: new Date(),
    });
    const children = desiredChildren(resource, decision, {
      defaultImage: 'img',
    });
    expect(goldenEnv(children, 'm')).toContain('stable-check');
    expect(goldenEnv(children, 'm-canary')).toContain('candidate-check');
  });

  it("checks the candidate's answers on stable pods once they serve the candidate", () => {
    const resource = md({ ...base, canary: { ...base.canary, promote: true } });
    const decision = decideRollout({
      spec: resource.spec,
      previous: { phase: 'Progressing', step: 0, weight: 50, version: '2', specHash: undefined },
      canary: { replicas: 1, readyReplicas: 1, available: true, version: '2' },
      stable: { version: '1', available: true },
      analysis: undefined,
      now: new Date(),
    });
    expect(decision.stableModel.version).toBe('2');
    const children = desiredChildren(resource, decision, {
      defaultImage: 'img',
    });
    expect(goldenEnv(children, 'm')).toContain('candidate-check');
  });

  it('wants a GRPCRoute beside the HTTPRoute under gatewayAPI, at the same canary weight', () => {
    const resource = md({
      ...base,
      traffic: { router: 'gatewayAPI', gatewayRef: { name: 'inference' } },
    });
    // A rollout at a 30 % step, as the state machine hands it over.
    const decision = {
      ...decideRollout({
        spec: resource.spec,
        previous: undefined,
        canary: { replicas: 0, readyReplicas: 0, available: false },
        stable: { version: '1', available: true },
        analysis: undefined,
        now: new Date(),
      }),
      runCanary: true,
      canaryWeight: 30,
    };
    const children = desiredChildren(resource, decision, { defaultImage: 'img' });
    const split = (kind: string) => {
      const route = children.find((c) => c.kind.kind === kind)?.object as
        | {
            spec: {
              rules: { matches?: unknown; backendRefs: { name: string; weight: number }[] }[];
            };
          }
        | undefined;
      return route?.spec.rules
        .find((r) => r.matches === undefined)
        ?.backendRefs.map((b) => [b.name, b.weight]);
    };
    expect(split('HTTPRoute')).toEqual([
      ['m-stable', 70],
      ['m-canary', 30],
    ]);
    expect(split('GRPCRoute')).toEqual(split('HTTPRoute'));
  });

  it('wants no GRPCRoute under replicaRatio', () => {
    const resource = md(base);
    const decision = decideRollout({
      spec: resource.spec,
      previous: undefined,
      canary: { replicas: 0, readyReplicas: 0, available: false },
      stable: { version: '1', available: true },
      analysis: undefined,
      now: new Date(),
    });
    const kinds = desiredChildren(resource, decision, { defaultImage: 'img' }).map(
      (c) => c.kind.kind,
    );
    expect(kinds).not.toContain('GRPCRoute');
    expect(kinds).not.toContain('HTTPRoute');
  });
});
