import { describe, expect, it } from 'vitest';
import { readiness, routeNote } from '../../scripts/local-up/ready-lines.js';

describe('when npm start stops waiting for the examples', () => {
  it('all Ready: settled', () => {
    expect(readiness('iris-tiny True Serving\nscorer True Serving\n')).toEqual({
      settled: true,
      waitingForRoute: [],
    });
  });

  it('one waits for a Gateway controller, the others are Ready: settled, and named', () => {
    const r = readiness(
      'iris-tiny True Serving\nranker False WaitingForRoute\nscorer True Serving\n',
    );
    expect(r).toEqual({ settled: true, waitingForRoute: ['ranker'] });
    expect(routeNote(r.waitingForRoute)).toMatch(/^ranker wait\(s\) for a Gateway API controller/);
  });

  it('one still starting its pods: not settled', () => {
    expect(readiness('ranker False WaitingForRoute\nscorer False WaitingForReady\n').settled).toBe(
      false,
    );
    // No status yet (the operator has not written one): not settled either.
    expect(readiness('scorer  \n').settled).toBe(false);
  });

  it('no ModelDeployment at all: not settled (the examples are not there yet)', () => {
    expect(readiness('').settled).toBe(false);
    expect(routeNote([])).toBeUndefined();
  });
});
