import { z } from 'zod';

/**
 * Status is written only by the operator. Its schema lives beside the spec so the CRD
 * describes it for `kubectl explain` and the operator can read back what it wrote
 * (the rollout state machine resumes from status after a restart).
 */

export const conditionTypes = [
  'Ready',
  'Available',
  'Progressing',
  'Degraded',
  'Reconciling',
  'Stalled',
] as const;
export type ConditionType = (typeof conditionTypes)[number];

export const condition = z
  .object({
    type: z
      .string()
      .min(1)
      .describe('Ready, Available, Progressing, Degraded, Reconciling or Stalled.'),
    status: z.enum(['True', 'False', 'Unknown']).describe('True, False or Unknown.'),
    reason: z.string().min(1).describe('One CamelCase word a program can match on.'),
    message: z.string().describe('What happened and what to do about it.'),
    lastTransitionTime: z.string().describe('When status last changed (RFC 3339).'),
    observedGeneration: z
      .number()
      .int()
      .optional()
      .describe('metadata.generation this condition was computed from.'),
  })
  .describe('A condition in the Kubernetes convention.');
export type Condition = z.output<typeof condition>;

const trackStatus = z
  .object({
    version: z.string().optional().describe('Model version this track serves.'),
    replicas: z.number().int().optional().describe('Pods of this track.'),
    readyReplicas: z
      .number()
      .int()
      .optional()
      .describe('Pods of this track that passed readiness.'),
    weight: z.number().int().optional().describe('Share of traffic, 0–100, this track receives.'),
  })
  .describe('What one track (stable or canary) runs.');

export const canaryPhases = [
  'Pending',
  'Shadowing',
  'Verifying',
  'Progressing',
  'Promoting',
  'Promoted',
  'Aborted',
] as const;
export type CanaryPhase = (typeof canaryPhases)[number];

/** Why a rollout was aborted; a program matches on this instead of parsing the message. */
export const abortReasons = [
  'GoldenCheckFailed',
  'CanaryFailed',
  'RolloutAborted',
  'ShadowDisagreement',
  'AbortedByUser',
] as const;
export type AbortReason = (typeof abortReasons)[number];

const analysisResult = z
  .object({
    time: z.string().describe('When the measurement was taken (RFC 3339).'),
    verdict: z.enum(['Pass', 'Fail', 'Inconclusive']).describe('Outcome of the check.'),
    errorRate: z
      .number()
      .optional()
      .describe(
        'Canary share of answers with an error status (errorStatusCodes) over the interval.',
      ),
    latencyP95Ms: z
      .number()
      .optional()
      .describe('Canary p95 latency over the interval, milliseconds.'),
    message: z.string().describe('Why this verdict.'),
  })
  .describe('The most recent analysis check.');

const shadowGateStatus = z
  .object({
    startedAt: z
      .string()
      .optional()
      .describe(
        'When the candidate was ready as a shadow and comparisons began to count (RFC 3339).',
      ),
    measuredAt: z
      .string()
      .optional()
      .describe('When the figures below were read from Prometheus (RFC 3339).'),
    compared: z
      .number()
      .optional()
      .describe('Requests the stable pods compared with the candidate since startedAt.'),
    disagreementRate: z
      .number()
      .optional()
      .describe("Share (0–1) of those whose candidate answer differed from the user's or failed."),
    message: z.string().optional().describe('Why the figures are missing, when they are.'),
  })
  .describe('The shadow gate (spec.canary.shadow): what the comparisons showed so far.');

const canaryStatus = trackStatus
  .extend({
    phase: z.enum(canaryPhases).optional().describe('Where the rollout is.'),
    step: z.number().int().optional().describe('Index of the current step in spec.canary.steps.'),
    stepStartedAt: z.string().optional().describe('When the current step began (RFC 3339).'),
    failedChecks: z
      .number()
      .int()
      .optional()
      .describe('Failed analysis checks so far in this rollout.'),
    inconclusiveChecks: z
      .number()
      .int()
      .optional()
      .describe('Analysis checks in a row, at the current step, that had no usable data.'),
    specHash: z
      .string()
      .optional()
      .describe('Hash of the canary spec this rollout state belongs to.'),
    message: z.string().optional().describe('What the rollout is doing or why it stopped.'),
    abortReason: z
      .enum(abortReasons)
      .optional()
      .describe(
        'Set while phase is Aborted: GoldenCheckFailed, CanaryFailed, RolloutAborted (analysis), ShadowDisagreement (shadow gate) or AbortedByUser.',
      ),
    lastAnalysis: analysisResult.optional(),
    shadowGate: shadowGateStatus.optional(),
  })
  .describe('The canary track and the state of its rollout.');

const shadowStatus = z
  .object({
    version: z.string().optional().describe('Model version the shadow track serves.'),
    replicas: z.number().int().optional().describe('Shadow pods.'),
    readyReplicas: z.number().int().optional().describe('Shadow pods that passed readiness.'),
    measuredAt: z
      .string()
      .optional()
      .describe('When the figures below were read from Prometheus (RFC 3339).'),
    compared: z
      .number()
      .optional()
      .describe('Requests the stable pods compared with the shadow over the window.'),
    disagreementRate: z
      .number()
      .optional()
      .describe(
        "Share (0–1) of compared requests whose shadow answer differed from the user's or failed, over the window.",
      ),
    latencyP95Ms: z
      .number()
      .optional()
      .describe("p95 of the shadow's answer time as the stable pods saw it, milliseconds."),
    message: z.string().optional().describe('Why the figures are missing, when they are.'),
  })
  .describe('The shadow track and how its answers compare with the stable ones.');

export const modelDeploymentStatus = z
  .object({
    observedGeneration: z
      .number()
      .int()
      .optional()
      .describe('metadata.generation the status describes.'),
    model: z
      .string()
      .optional()
      .describe('Name the model is served under (spec.model.name or metadata.name).'),
    conditions: z
      .array(condition)
      .optional()
      .describe('Current state in the Kubernetes condition convention.'),
    url: z.string().optional().describe('In-cluster URL of the Service.'),
    stable: trackStatus.optional(),
    canary: canaryStatus.optional(),
    shadow: shadowStatus.optional(),
    replicas: z
      .number()
      .int()
      .optional()
      .describe('Runtime pods of the stable track (scale subresource).'),
    readyReplicas: z.number().int().optional().describe('Ready runtime pods of the stable track.'),
    selector: z
      .string()
      .optional()
      .describe('Label selector of the stable pods (scale subresource).'),
    autoscaling: z
      .object({
        currentValue: z.string().optional().describe('The metric value the HPA last read.'),
        desiredReplicas: z.number().int().optional().describe('Replicas the HPA wants.'),
      })
      .optional()
      .describe('What the autoscaler currently sees.'),
  })
  .describe('Observed state, written by the operator.');

export type ModelDeploymentStatus = z.output<typeof modelDeploymentStatus>;
export type CanaryStatus = z.output<typeof canaryStatus>;
export type ShadowStatus = z.output<typeof shadowStatus>;
export type TrackStatus = z.output<typeof trackStatus>;
export type AnalysisResult = z.output<typeof analysisResult>;
