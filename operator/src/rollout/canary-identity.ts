import { createHash } from 'node:crypto';
import type { CanarySpec } from '../api/model-deployment-spec.js';
import {
  abortReasons,
  type AbortReason,
  type CanaryStatus,
} from '../api/model-deployment-status.js';

export type { AbortReason };

/**
 * Stable hash of what a rollout is about: the candidate model and the steps. Thresholds,
 * replicas, golden requests and the promote/abort switches are not part of it, so editing
 * them steers the running rollout instead of starting a new one.
 */
export function canarySpecHash(canary: CanarySpec): string {
  const identity = {
    model: {
      version: canary.model.version,
      uri: canary.model.uri,
      sha256: canary.model.sha256 ?? '',
    },
    steps: canary.steps.map((s) => [s.weight, s.pauseSeconds]),
  };
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 16);
}

/**
 * The reason an Aborted status carries: status.canary.abortReason. Statuses written before
 * that field existed kept it only as the first word of the message; they are read that way
 * once, and the next status write records the field.
 */
export function abortReason(status: CanaryStatus | undefined): AbortReason | undefined {
  if (status?.phase !== 'Aborted') return undefined;
  if (status.abortReason !== undefined) return status.abortReason;
  const word = /^([A-Za-z]+):/.exec(status.message ?? '')?.[1];
  return abortReasons.find((r) => r === word) ?? 'RolloutAborted';
}
