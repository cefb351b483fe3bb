import { z } from 'zod';

/**
 * spec.canary.shadow: a dark launch before the first weighted step. The candidate runs on the
 * shadow track (no user can reach it), the stable pods mirror a share of their answered
 * requests to it and compare its answers with their own, and the rollout moves traffic only
 * once enough comparisons agreed. See docs/shadow.md.
 */
export const shadowGateSpec = z
  .strictObject({
    durationSeconds: z
      .number()
      .int()
      .min(30)
      .max(86400)
      .default(300)
      .describe(
        'How long the candidate runs as a shadow before the first step, counted from the moment its pods are ready.',
      ),
    minComparedRequests: z
      .number()
      .int()
      .min(1)
      .max(100_000_000)
      .default(100)
      .describe(
        'Comparisons needed before the gate can pass. With fewer by the end of durationSeconds the rollout waits (Stalled=True, reason ShadowInsufficientTraffic) and keeps counting.',
      ),
    maxDisagreementRate: z
      .number()
      .min(0)
      .max(1)
      .default(0.01)
      .describe(
        "Highest share (0–1) of compared requests whose candidate answer differed from the user's or failed. Above it, once minComparedRequests were compared, the rollout aborts with reason ShadowDisagreement.",
      ),
    percent: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(10)
      .describe(
        "Share (1–100) of the stable track's answered inference requests each stable pod copies to the candidate during the gate.",
      ),
    replicas: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(1)
      .describe('Pods the candidate runs on while it is a shadow.'),
    tolerance: z
      .number()
      .min(0)
      .default(0.0001)
      .describe(
        "Largest absolute difference between an element of the candidate's answer and the user's that still counts as agreement.",
      ),
    prometheusUrl: z
      .string()
      .regex(/^https?:\/\/\S+$/)
      .optional()
      .describe(
        'Prometheus that scrapes the stable pods; defaults to spec.canary.analysis.prometheusUrl. The operator queries only URLs its allow-list permits (chart value analysis.allowedPrometheusUrls).',
      ),
  })
  .describe(
    "A shadow gate: before any user traffic moves, the candidate runs as a shadow of stable and the rollout advances only when its answers agree with stable's.",
  );

export type ShadowGateSpec = z.output<typeof shadowGateSpec>;
