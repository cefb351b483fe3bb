import { describe, expect, it } from 'vitest';
import type { ModelDeploymentObject } from './cluster-objects.js';
import { EXIT, rolloutOutcome } from './rollout-outcome.js';

type Status = NonNullable<ModelDeploymentObject['status']>;
const cond = (type: string, status: 'True' | 'False', reason = 'R') => ({
  type,
  status,
  reason,
  message: `${type} message`,
  lastTransitionTime: '',
});

function md(status: Status, generation = 2, paused = false): ModelDeploymentObject {
  return {
    metadata: { name: 'm', generation },
    spec: { model: { version: '1' }, paused, canary: { model: { version: '2' } } },
    status: { observedGeneration: 2, ...status },
  };
}

describe('rolloutOutcome', () => {
  it('concludes nothing until status describes the current generation', () => {
    expect(rolloutOutcome(md({ conditions: [cond('Ready', 'True')] }, 3))).toEqual({ done: false });
  });

  it('a rollout in progress is not done; a promoted one is settled (0)', () => {
    expect(rolloutOutcome(md({ canary: { phase: 'Progressing' } }))).toEqual({ done: false });
    expect(rolloutOutcome(md({ canary: { phase: 'Promoted', version: '2' } }))).toEqual({
      done: true,
      code: EXIT.settled,
      reason: 'promoted 2',
    });
  });

  it('aborted or stalled ends with 2, paused with 4', () => {
    const aborted = rolloutOutcome(
      md({ canary: { phase: 'Aborted', abortReason: 'RolloutAborted', message: 'p95 high' } }),
    );
    expect(aborted).toMatchObject({ done: true, code: EXIT.degraded });
    expect(aborted.done && aborted.reason).toBe('rollout aborted (RolloutAborted): p95 high');
    expect(
      rolloutOutcome(
        md({
          canary: { phase: 'Progressing' },
          conditions: [cond('Stalled', 'True', 'AnalysisInconclusive')],
        }),
      ),
    ).toMatchObject({
      code: EXIT.degraded,
    });
    expect(rolloutOutcome(md({ canary: { phase: 'Progressing' } }, 2, true))).toMatchObject({
      code: EXIT.paused,
    });
  });

  it('without a rollout: Ready and not reconciling is settled; reconciling is not done', () => {
    const plain = (conditions: Status['conditions']): ModelDeploymentObject => ({
      metadata: { name: 'm', generation: 1 },
      spec: { model: { version: '1' } },
      status: { observedGeneration: 1, conditions },
    });
    expect(rolloutOutcome(plain([cond('Ready', 'True', 'Serving')]))).toMatchObject({
      done: true,
      code: EXIT.settled,
    });
    expect(rolloutOutcome(plain([cond('Ready', 'True'), cond('Reconciling', 'True')]))).toEqual({
      done: false,
    });
    expect(rolloutOutcome(plain([cond('Ready', 'False')]))).toEqual({ done: false });
  });
});
