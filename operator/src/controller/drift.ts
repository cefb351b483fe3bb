import { createHash } from 'node:crypto';
import type { KubeObject } from '../kube/object.js';
import { sameQuantity } from '../kube/quantity.js';

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

/** Maps whose values are resource quantities, which the API server rewrites in canonical form. */
const QUANTITY_MAPS = new Set(['requests', 'limits', 'hard']);
const QUANTITY_FIELDS = new Set(['sizeLimit']);

/**
 * True when every field we set is present in the live object with the same value.
 * Fields the server or other controllers added are ignored. Lists of named items (containers,
 * env, ports, volumes) merge by name as server-side apply does, so an item a webhook injected
 * (a sidecar) stays and does not count as drift; other lists we own whole. Quantities compare
 * by value, as the server stores "0.5" as "500m".
 */
export function containsDesired(live: unknown, desired: unknown, key = ''): boolean {
  if (desired === undefined) return true;
  if (Array.isArray(desired)) return listContains(live, desired);
  if (desired !== null && typeof desired === 'object') {
    if (live === null || typeof live !== 'object' || Array.isArray(live)) return false;
    const l = live as Record<string, unknown>;
    const quantities = QUANTITY_MAPS.has(key);
    return Object.entries(desired as Record<string, unknown>).every(([k, v]) =>
      quantities ? l[k] === v || sameQuantity(l[k], v) : containsDesired(l[k], v, k),
    );
  }
  return live === desired || (QUANTITY_FIELDS.has(key) && sameQuantity(live, desired));
}

function nameOf(item: unknown): string | undefined {
  if (item === null || typeof item !== 'object') return undefined;
  const name = (item as Record<string, unknown>)['name'];
  return typeof name === 'string' ? name : undefined;
}

function listContains(live: unknown, desired: readonly unknown[]): boolean {
  if (!Array.isArray(live)) return false;
  const named = desired.length > 0 && desired.every((d) => nameOf(d) !== undefined);
  if (named) {
    return desired.every((d) => {
      const match = live.find((l) => nameOf(l) === nameOf(d));
      return match !== undefined && containsDesired(match, d);
    });
  }
  return live.length === desired.length && desired.every((d, i) => containsDesired(live[i], d));
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
