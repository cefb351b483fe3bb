import type { ModelDeployment } from '../api/model-deployment.js';
import type { Track } from './tracks.js';

/*
 * Child names derive from metadata.name only, so they stay stable across spec edits and
 * a user can find them with `kubectl get deploy <name>`. The API caps metadata.name at 56
 * characters so that "-canary" still fits a 63-character DNS label (so does "-shadow").
 */

type Named = Pick<ModelDeployment, 'metadata'>;

/** stable: <name> (what users expect to `kubectl scale` or inspect), else <name>-<track>. */
export function deploymentName(md: Named, track: Track): string {
  return track === 'stable' ? md.metadata.name : `${md.metadata.name}-${track}`;
}

/**
 * main: <name>, the Service clients call; stable/canary: per-track Services, which the
 * HTTPRoute needs as weighted backends and analysis can query one track through.
 */
export function serviceName(md: Named, kind: 'main' | Track): string {
  return kind === 'main' ? md.metadata.name : `${md.metadata.name}-${kind}`;
}

/** The HPA, PodDisruptionBudget and HTTPRoute have one instance each and share the base name. */
export function singletonName(md: Named): string {
  return md.metadata.name;
}
