import { analysisSpec, type CanarySpec } from '../api/model-deployment-spec.js';
import type { CanaryStatus } from '../api/model-deployment-status.js';
import { canarySpecHash } from './canary-identity.js';
import type { Context, RolloutInput } from './rollout-types.js';

/** The schema's defaults, for a canary without an analysis block. */
const ANALYSIS_DEFAULTS = analysisSpec.parse({});

/** spec.canary.analysis as defaulted by the schema (the operator never invents its own). */
export function analysisOf(canary: CanarySpec): NonNullable<CanarySpec['analysis']> {
  return canary.analysis ?? ANALYSIS_DEFAULTS;
}

export const parseTime = (value: string | undefined): number | undefined => {
  if (value === undefined) return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : t;
};

export const stepLabel = (ctx: Context, step: number) =>
  `step ${step + 1}/${ctx.canary.steps.length} (${ctx.canary.steps[step]?.weight ?? 0}% of traffic)`;

export function analysisConfigured(canary: CanarySpec): boolean {
  return canary.analysis?.prometheusUrl !== undefined;
}

/** Whether the current step needs a passing analysis before it may advance. */
export function stepNeedsAnalysis(canary: CanarySpec, step: number): boolean {
  return analysisConfigured(canary) && (canary.steps[step]?.weight ?? 0) > 0;
}

/** Time of the next analysis for a Progressing status, in ms since the epoch. */
export function nextAnalysisAt(canary: CanarySpec, status: CanaryStatus): number | undefined {
  const step = status.step ?? 0;
  if (!stepNeedsAnalysis(canary, step)) return undefined;
  const interval = analysisOf(canary).intervalSeconds * 1000;
  const stepStart = parseTime(status.stepStartedAt) ?? 0;
  const last = parseTime(status.lastAnalysis?.time) ?? 0;
  return Math.max(stepStart, last) + interval;
}

/**
 * Whether the controller should measure the canary in this reconcile (then it passes the
 * result as `analysis`). True while Progressing at a step with traffic, with the canary
 * available, once intervalSeconds have passed since the step began and since the last check.
 */
export function analysisDue(input: Omit<RolloutInput, 'analysis'>): boolean {
  const { spec, previous } = input;
  const canary = spec.canary;
  if (spec.paused || canary === undefined || previous === undefined) return false;
  if (input.routeBlocked !== undefined || input.analysisRefused !== undefined) return false;
  if (canary.abort || canary.promote) return false;
  if (previous.specHash !== canarySpecHash(canary) || previous.phase !== 'Progressing')
    return false;
  const obs = input.canary;
  if (!obs.available || obs.goldenFailure !== undefined || obs.crashLoop !== undefined)
    return false;
  if (obs.version !== undefined && obs.version !== canary.model.version) return false;
  const due = nextAnalysisAt(canary, previous);
  return due !== undefined && input.now.getTime() >= due;
}
