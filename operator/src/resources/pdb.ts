import type { V1PodDisruptionBudget } from '@kubernetes/client-node';
import type { ModelDeployment } from '../api/model-deployment.js';
import { commonLabels, selectorLabels } from './labels.js';
import { singletonName } from './names.js';
import { childMetadata } from './owner.js';

type Source = Pick<ModelDeployment, 'metadata' | 'spec'>;

/**
 * A PodDisruptionBudget over the stable track, whose pods carry the traffic; canary pods
 * are short-lived and already gated by the rollout. undefined without spec.disruptionBudget.
 */
export function buildPodDisruptionBudget(md: Source): V1PodDisruptionBudget | undefined {
  const budget = md.spec.disruptionBudget;
  if (!budget) return undefined;
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: childMetadata(md, singletonName(md), commonLabels(md)),
    spec: {
      selector: { matchLabels: selectorLabels(md, 'stable') },
      ...(budget.minAvailable !== undefined && { minAvailable: budget.minAvailable }),
      ...(budget.maxUnavailable !== undefined && { maxUnavailable: budget.maxUnavailable }),
      // A pod that never became ready (say, its model fails to load) serves nothing, so it
      // must not block node drains; the default policy would let it.
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    },
  };
}
