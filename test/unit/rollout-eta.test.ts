import { describe, expect, it } from 'vitest';
import { rolloutEta } from '../../scripts/local-up/rollout-eta.js';

// examples/full.yaml's steps.
const steps = [
  { weight: 10, pauseSeconds: 60 },
  { weight: 50, pauseSeconds: 120 },
];
const now = new Date('2026-01-01T00:10:00Z');

describe('rolloutEta: the pauses still ahead of a canary rollout', () => {
  it('before the canary serves (Pending, Verifying, no status yet): every pause', () => {
    for (const phase of ['Pending', 'Verifying', undefined]) {
      expect(rolloutEta({ steps, ...(phase ? { phase } : {}) }, now)).toEqual({
        kind: 'waiting',
        atLeastSeconds: 180,
      });
    }
  });

  it('in a step: what is left of its pause plus the later pauses', () => {
    const eta = rolloutEta(
      { steps, phase: 'Progressing', step: 0, stepStartedAt: '2026-01-01T00:09:15Z' },
      now,
    );
    expect(eta).toEqual({ kind: 'waiting', atLeastSeconds: 15 + 120 });
  });

  it('a pause already over counts as zero (the step waits for a passing analysis)', () => {
    const eta = rolloutEta(
      { steps, phase: 'Progressing', step: 1, stepStartedAt: '2026-01-01T00:00:00Z' },
      now,
    );
    expect(eta).toEqual({ kind: 'waiting', atLeastSeconds: 0 });
  });

  it('Promoting is nearly done; Promoted and Aborted are final', () => {
    expect(rolloutEta({ steps, phase: 'Promoting' }, now)).toEqual({
      kind: 'waiting',
      atLeastSeconds: 0,
    });
    expect(rolloutEta({ steps, phase: 'Promoted' }, now)).toEqual({ kind: 'promoted' });
    expect(rolloutEta({ steps, phase: 'Aborted' }, now)).toEqual({ kind: 'aborted' });
  });
});
