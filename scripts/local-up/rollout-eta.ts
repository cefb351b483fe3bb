/**
 * How long until a canary rollout can be promoted, for `npm start`'s last lines. Each step
 * waits its pauseSeconds and then for a passing analysis (operator/src/rollout/state.ts),
 * so the estimate is a lower bound: the pauses still ahead. Pure; the clock is an argument.
 */

export interface RolloutView {
  readonly steps: readonly { readonly pauseSeconds?: number }[];
  /** status.canary.phase; undefined before the operator wrote one. */
  readonly phase?: string;
  /** status.canary.step */
  readonly step?: number;
  /** status.canary.stepStartedAt (RFC 3339) */
  readonly stepStartedAt?: string;
}

export type RolloutEta =
  | { readonly kind: 'promoted' }
  | { readonly kind: 'aborted' }
  | { readonly kind: 'waiting'; readonly atLeastSeconds: number };

const pauseOf = (view: RolloutView, step: number): number => view.steps[step]?.pauseSeconds ?? 0;

function pausesFrom(view: RolloutView, first: number): number {
  let sum = 0;
  for (let i = first; i < view.steps.length; i++) sum += pauseOf(view, i);
  return sum;
}

export function rolloutEta(view: RolloutView, now: Date): RolloutEta {
  switch (view.phase) {
    case 'Promoted':
      return { kind: 'promoted' };
    case 'Aborted':
      return { kind: 'aborted' };
    case 'Promoting':
      return { kind: 'waiting', atLeastSeconds: 0 };
    case 'Progressing': {
      const step = view.step ?? 0;
      const started = Date.parse(view.stepStartedAt ?? '');
      const elapsed = Number.isNaN(started) ? 0 : (now.getTime() - started) / 1000;
      const left = Math.max(0, pauseOf(view, step) - elapsed);
      return { kind: 'waiting', atLeastSeconds: Math.ceil(left + pausesFrom(view, step + 1)) };
    }
    default:
      // Pending or Verifying: the canary pods are not serving yet; every pause is ahead.
      return { kind: 'waiting', atLeastSeconds: pausesFrom(view, 0) };
  }
}
