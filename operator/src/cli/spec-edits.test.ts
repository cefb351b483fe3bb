import { describe, expect, it } from 'vitest';
import type { ModelDeploymentObject } from './cluster-objects.js';
import { planEdit } from './spec-edits.js';

function md(
  extra: Partial<ModelDeploymentObject['spec']> = {},
  status?: ModelDeploymentObject['status'],
): ModelDeploymentObject {
  return {
    metadata: { name: 'iris' },
    spec: { model: { version: '1' }, canary: { model: { version: '2' } }, ...extra },
    status,
  };
}

describe('planEdit', () => {
  it('promote and abort set the canary flags; pause and resume flip spec.paused', () => {
    expect(planEdit('promote', md())).toMatchObject({
      kind: 'patch',
      patch: { spec: { canary: { promote: true } } },
    });
    expect(planEdit('abort', md())).toMatchObject({
      kind: 'patch',
      patch: { spec: { canary: { abort: true } } },
    });
    expect(planEdit('pause', md())).toMatchObject({
      kind: 'patch',
      patch: { spec: { paused: true } },
    });
    expect(planEdit('resume', md({ paused: true }))).toMatchObject({
      kind: 'patch',
      patch: { spec: { paused: false } },
    });
  });

  it('refuses promote and abort without a canary, and promote of an aborted rollout', () => {
    expect(planEdit('promote', md({ canary: undefined }))).toMatchObject({
      kind: 'refused',
      says: expect.stringMatching(/no spec.canary/),
    });
    expect(planEdit('abort', md({ canary: undefined }))).toMatchObject({ kind: 'refused' });
    const aborted = md(
      {},
      { canary: { phase: 'Aborted', version: '2', specHash: 'h', abortReason: 'RolloutAborted' } },
    );
    expect(planEdit('promote', aborted)).toMatchObject({
      kind: 'refused',
      says: expect.stringMatching(/does not revive it/),
    });
    expect(
      planEdit('promote', md({ canary: { model: { version: '2' }, abort: true } })),
    ).toMatchObject({ kind: 'refused' });
  });

  it('does nothing when the edit is already in place', () => {
    expect(planEdit('pause', md({ paused: true }))).toMatchObject({ kind: 'nothing' });
    expect(planEdit('resume', md())).toMatchObject({ kind: 'nothing' });
    expect(
      planEdit('abort', md({ canary: { model: { version: '2' }, abort: true } })),
    ).toMatchObject({ kind: 'nothing' });
    const promoted = md({}, { canary: { phase: 'Promoted', version: '2', specHash: 'h' } });
    expect(planEdit('promote', promoted)).toMatchObject({
      kind: 'nothing',
      says: expect.stringMatching(/so Git matches/),
    });
  });

  it('abort after a promotion is allowed (stable returns to spec.model); a paused object is told it waits', () => {
    const promoted = md(
      { paused: true },
      { canary: { phase: 'Promoted', version: '2', specHash: 'h' } },
    );
    const plan = planEdit('abort', promoted);
    expect(plan).toMatchObject({ kind: 'patch' });
    expect(plan.says).toMatch(/once resumed/);
  });
});
