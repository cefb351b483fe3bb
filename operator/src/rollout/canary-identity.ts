import { createHash } from 'node:crypto';
import type { CanarySpec } from '../api/model-deployment-spec.js';
import type { CanaryStatus } from '../api/model-deployment-status.js';

/** Reasons an Aborted rollout carries (the first word of status.canary.message). */
export type AbortReason = 'GoldenCheckFailed' | 'CanaryFailed' | 'RolloutAborted' | 'AbortedByUser';

const abortReasons: readonly AbortReason[] = [
  'GoldenCheckFailed',
  'CanaryFailed',
  'RolloutAborted',
  'AbortedByUser',
];

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

/** The reason an Aborted status was written with (encoded as the message prefix). */
export function abortReason(status: CanaryStatus | undefined): AbortReason | undefined {
  if (status?.phase !== 'Aborted') return undefined;
  const word = /^([A-Za-z]+):/.exec(status.message ?? '')?.[1];
  return abortReasons.find((r) => r === word) ?? 'RolloutAborted';
}
