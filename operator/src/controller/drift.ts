import { createHash } from 'node:crypto';
import type { KubeObject } from '../kube/object.js';

export const APPLIED_HASH_ANNOTATION = 'modeldeploy.io/applied-hash';

/** A stable digest of what we apply, so removals (which a subset check cannot see) count as changes. */
export function desiredHash(obj: KubeObject): string {
  return createHash('sha256').update(canonicalJson(obj)).digest('hex').slice(0, 16);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * True when every field we set is present in the live object with the same value.
 * Fields the server or other controllers added are ignored; lists must match in length
 * because we own them whole (containers, env, ports).
 */
export function containsDesired(live: unknown, desired: unknown): boolean {
  if (desired === undefined) return true;
  if (Array.isArray(desired)) {
    return (
      Array.isArray(live) &&
      live.length === desired.length &&
      desired.every((d, i) => containsDesired(live[i], d))
    );
  }
  if (desired !== null && typeof desired === 'object') {
    if (live === null || typeof live !== 'object' || Array.isArray(live)) return false;
    const l = live as Record<string, unknown>;
    return Object.entries(desired as Record<string, unknown>).every(([k, v]) =>
      containsDesired(l[k], v),
    );
  }
  return live === desired;
}

/** Adds the hash annotation to a desired object. */
export function withAppliedHash<T extends KubeObject>(desired: T): T {
  const hash = desiredHash(desired);
  return {
    ...desired,
    metadata: {
      ...desired.metadata,
      annotations: { ...desired.metadata.annotations, [APPLIED_HASH_ANNOTATION]: hash },
    },
  };
}

/**
 * Whether the live object differs from what we want: a new spec (hash changed) or a
 * hand edit of a field we own (subset check fails). Either way one apply restores it;
 * otherwise the reconcile makes no write at all.
 */
export function needsApply(live: KubeObject | undefined, desiredWithHash: KubeObject): boolean {
  if (!live) return true;
  const liveHash = live.metadata.annotations?.[APPLIED_HASH_ANNOTATION];
  if (liveHash !== desiredWithHash.metadata.annotations?.[APPLIED_HASH_ANNOTATION]) return true;
  const { apiVersion: _a, kind: _k, ...body } = desiredWithHash;
  return !containsDesired(live, body);
}
