import type { ModelDeploymentObject } from './cluster-objects.js';

export type EditVerb = 'promote' | 'abort' | 'pause' | 'resume';

/** A JSON merge patch (RFC 7386) for the ModelDeployment, or why the verb does not apply. */
export type EditPlan =
  | { kind: 'patch'; patch: Record<string, unknown>; says: string }
  | { kind: 'nothing'; says: string }
  | { kind: 'refused'; says: string };

/**
 * The spec edit behind each verb, as docs/canary.md defines them: every action on a
 * rollout is a spec field, so the plugin changes exactly what `kubectl edit` would.
 */
export function planEdit(verb: EditVerb, md: ModelDeploymentObject): EditPlan {
  switch (verb) {
    case 'pause':
      return md.spec.paused
        ? { kind: 'nothing', says: `${md.metadata.name} is already paused (spec.paused: true)` }
        : {
            kind: 'patch',
            patch: { spec: { paused: true } },
            says: `${md.metadata.name} paused: spec.paused set to true; the operator changes nothing until resume`,
          };
    case 'resume':
      return md.spec.paused
        ? {
            kind: 'patch',
            patch: { spec: { paused: false } },
            says: `${md.metadata.name} resumed: spec.paused set to false`,
          }
        : { kind: 'nothing', says: `${md.metadata.name} is not paused` };
    case 'promote':
      return planPromote(md);
    case 'abort':
      return planAbort(md);
  }
}

function planPromote(md: ModelDeploymentObject): EditPlan {
  const name = md.metadata.name;
  const canary = md.spec.canary;
  if (canary === undefined)
    return { kind: 'refused', says: `${name} has no spec.canary: there is no rollout to promote` };
  const status = md.status?.canary;
  const current = status?.specHash !== undefined && status.version === canary.model.version;
  if (current && status.phase === 'Aborted') {
    return {
      kind: 'refused',
      says: `the rollout of ${canary.model.version} was aborted (${status.abortReason ?? 'Aborted'}); promote does not revive it: change spec.canary.model to start a new rollout`,
    };
  }
  if (current && status.phase === 'Promoted') {
    return {
      kind: 'nothing',
      says: `${canary.model.version} is already promoted; set spec.model to the canary model and remove spec.canary so Git matches`,
    };
  }
  if (canary.abort)
    return {
      kind: 'refused',
      says: `spec.canary.abort is true on ${name}: an aborted rollout cannot be promoted`,
    };
  if (canary.promote)
    return {
      kind: 'nothing',
      says: `promotion of ${canary.model.version} is already requested (spec.canary.promote: true)`,
    };
  return {
    kind: 'patch',
    patch: { spec: { canary: { promote: true } } },
    says: `${name}: spec.canary.promote set to true; ${canary.model.version} skips its remaining steps and analysis${pausedNote(md)}`,
  };
}

function planAbort(md: ModelDeploymentObject): EditPlan {
  const name = md.metadata.name;
  const canary = md.spec.canary;
  if (canary === undefined)
    return { kind: 'refused', says: `${name} has no spec.canary: there is no rollout to abort` };
  const status = md.status?.canary;
  if (canary.abort || (status?.phase === 'Aborted' && status.version === canary.model.version)) {
    return { kind: 'nothing', says: `the rollout of ${canary.model.version} is already aborted` };
  }
  return {
    kind: 'patch',
    patch: { spec: { canary: { abort: true } } },
    says: `${name}: spec.canary.abort set to true; all traffic returns to stable ${md.spec.model.version}${pausedNote(md)}`,
  };
}

function pausedNote(md: ModelDeploymentObject): string {
  return md.spec.paused ? ' once resumed (spec.paused is true, so nothing happens until then)' : '';
}
