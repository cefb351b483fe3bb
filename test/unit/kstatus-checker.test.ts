/**
 * The verdict of sigs.k8s.io/cli-utils' kstatus library on ModelDeployments, from the
 * library itself (test/cluster/kstatus). Flux, Helm's watcher and kpt act on exactly this
 * verdict, so these cases say which status a GitOps tool waits on, fails on or accepts.
 * The checker is built by scripts/setup.sh --test; without it these tests fail and say so.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadStatusPhases, type FixtureCondition } from '../fixtures/status-phases.js';
import { kstatusBinary, kstatusOf, type KstatusVerdict } from '../support/kstatus.js';

let bin: string;
beforeAll(async () => {
  bin = await kstatusBinary();
});

function condition(
  type: string,
  status: FixtureCondition['status'],
  reason: string,
): FixtureCondition {
  return { type, status, reason, message: `${type} is ${status} (${reason})` };
}

interface Shape {
  generation?: number;
  observedGeneration?: number;
  conditions?: FixtureCondition[];
  deletionTimestamp?: string;
}

/** A ModelDeployment with only the fields kstatus reads varied; the rest is a real spec. */
function modelDeployment(name: string, shape: Shape): object {
  const generation = shape.generation ?? 2;
  return {
    apiVersion: 'modeldeploy.io/v1alpha1',
    kind: 'ModelDeployment',
    metadata: {
      name,
      namespace: 'models',
      generation,
      ...(shape.deletionTimestamp ? { deletionTimestamp: shape.deletionTimestamp } : {}),
    },
    spec: { model: { version: 'v2', uri: 'file:///models/iris-v2.onnx' }, replicas: 2 },
    status: {
      observedGeneration: shape.observedGeneration ?? generation,
      conditions: shape.conditions ?? [],
    },
  };
}

const settled = [
  condition('Ready', 'True', 'Serving'),
  condition('Reconciling', 'False', 'Reconciled'),
  condition('Stalled', 'False', 'AsExpected'),
];

const cases: { name: string; shape: Shape; want: KstatusVerdict['status'] }[] = [
  {
    name: 'generation-not-observed',
    shape: { generation: 3, observedGeneration: 2, conditions: settled },
    want: 'InProgress',
  },
  {
    name: 'reconciling',
    shape: {
      conditions: [
        condition('Ready', 'True', 'Serving'),
        condition('Reconciling', 'True', 'RollingUpdate'),
      ],
    },
    want: 'InProgress',
  },
  {
    name: 'stalled',
    shape: {
      conditions: [
        condition('Ready', 'False', 'ModelLoadFailed'),
        condition('Stalled', 'True', 'ModelLoadFailed'),
      ],
    },
    want: 'Failed',
  },
  {
    // Today's scaled-to-zero status: settled, yet kstatus waits on it forever.
    name: 'ready-false-neither',
    shape: {
      conditions: [
        condition('Ready', 'False', 'ScaledToZero'),
        condition('Reconciling', 'False', 'Reconciled'),
        condition('Stalled', 'False', 'AsExpected'),
      ],
    },
    want: 'InProgress',
  },
  { name: 'ready-true', shape: { conditions: settled }, want: 'Current' },
  {
    name: 'deleting',
    shape: { conditions: settled, deletionTimestamp: '2026-11-28T10:00:00Z' },
    want: 'Terminating',
  },
];

describe('kstatus library verdicts on hand-written ModelDeployments', () => {
  it.each(cases)('$name → $want', async ({ name, shape, want }) => {
    const [verdict] = await kstatusOf([modelDeployment(name, shape)], bin);
    expect(verdict).toMatchObject({ name, status: want });
  });

  it('answers every object of one call, in order', async () => {
    const objects = cases.map((c) => modelDeployment(c.name, c.shape));
    const verdicts = await kstatusOf(objects, bin);
    expect(verdicts.map((v) => [v.name, v.status])).toEqual(cases.map((c) => [c.name, c.want]));
  });

  it('carries the reason a resource is not done: the message of the deciding condition', async () => {
    const stalled = modelDeployment('stalled', {
      conditions: [{ type: 'Stalled', status: 'True', reason: 'X', message: 'fix spec.model.uri' }],
    });
    const [verdict] = await kstatusOf([stalled], bin);
    expect(verdict).toEqual({ name: 'stalled', status: 'Failed', message: 'fix spec.model.uri' });
  });
});

describe('kstatus library verdicts on the status-phase fixtures', () => {
  const phases = loadStatusPhases();

  it.each(phases)('$phase → $expect.kstatus', async ({ object, expect: want }) => {
    const [verdict] = await kstatusOf([object], bin);
    expect(verdict?.status, verdict?.message).toBe(want.kstatus);
  });
});
