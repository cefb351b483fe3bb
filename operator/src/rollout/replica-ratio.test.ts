import { describe, expect, it } from 'vitest';
import { canaryPodsBeside, ratioWeight, replicaSplit } from './replica-ratio.js';

describe('replicaSplit', () => {
  it.each([
    // total, weight → stable, canary, effective
    [10, 0, 10, 0, 0],
    [10, 10, 9, 1, 10],
    [10, 50, 5, 5, 50],
    [10, 100, 0, 10, 100],
    [4, 10, 3, 1, 25],
    [4, 30, 3, 1, 25],
    [4, 40, 2, 2, 50],
    [3, 99, 1, 2, 67],
    [1, 10, 1, 1, 50],
    [1, 100, 0, 1, 100],
    [1, 0, 1, 0, 0],
    [0, 50, 1, 1, 50],
  ])(
    '%i pods at weight %i → %i stable + %i canary (%i%%)',
    (total, weight, stable, canary, eff) => {
      expect(replicaSplit(total, weight)).toEqual({ stable, canary, effectiveWeight: eff });
    },
  );

  it('keeps at least one canary pod for any weight above 0', () => {
    for (let w = 1; w <= 100; w++) expect(replicaSplit(50, w).canary).toBeGreaterThanOrEqual(1);
  });

  it('keeps at least one stable pod below weight 100', () => {
    for (let w = 0; w < 100; w++) expect(replicaSplit(3, w).stable).toBeGreaterThanOrEqual(1);
  });

  it('clamps nonsense input', () => {
    expect(replicaSplit(5, 150)).toEqual({ stable: 0, canary: 5, effectiveWeight: 100 });
    expect(replicaSplit(5, -3)).toEqual({ stable: 5, canary: 0, effectiveWeight: 0 });
    expect(replicaSplit(Number.NaN, 50)).toEqual({ stable: 1, canary: 1, effectiveWeight: 50 });
  });

  it('ratioWeight of no pods is 0', () => {
    expect(ratioWeight(0, 0)).toBe(0);
  });
});

describe('canaryPodsBeside', () => {
  it('gives the canary its step share within one pod, for 1 to 20 stable pods', () => {
    for (let stable = 1; stable <= 20; stable++) {
      for (const weight of [5, 10, 20, 25, 33, 50, 75, 90]) {
        const pods = canaryPodsBeside(stable, weight, Number.POSITIVE_INFINITY);
        const share = (c: number): number => (100 * c) / (stable + c);
        // One pod fewer gives at most the step's share, one pod more at least it.
        expect(share(pods - 1), `${stable} stable, ${weight}%`).toBeLessThanOrEqual(weight);
        expect(share(pods + 1), `${stable} stable, ${weight}%`).toBeGreaterThanOrEqual(weight);
      }
    }
  });

  it('never runs more canary pods than the autoscaler allows, nor fewer than one', () => {
    expect(canaryPodsBeside(6, 90, 6)).toBe(6);
    expect(canaryPodsBeside(1, 1, 6)).toBe(1);
    expect(canaryPodsBeside(4, 100, 10)).toBe(4);
  });
});
