import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import type { ModelDeploymentStatus } from '../api/model-deployment-status.js';
import { KINDS, objectPath } from '../kube/kinds.js';
import type { KubeClient } from '../kube/kube-client.js';
import type { KubeObject } from '../kube/object.js';
import { FIELD_MANAGER } from './ownership.js';

export type StatusClient = Pick<KubeClient, 'request'>;

/**
 * Writes status only when it changed, and only onto the version of the ModelDeployment it
 * was computed from: the patch carries that resourceVersion, so a write racing another
 * change fails with 409 and the reconcile runs again on fresh state instead of overwriting
 * a newer spec's status with a decision made from the old one.
 */
export async function writeStatus(
  client: StatusClient,
  raw: KubeObject,
  status: ModelDeploymentStatus,
  log: Logger,
): Promise<number> {
  const previous = (raw.status ?? {}) as ModelDeploymentStatus;
  if (isDeepStrictEqual(JSON.parse(JSON.stringify(status)), previous)) return 0;
  await client.request({
    method: 'PATCH',
    path: objectPath(KINDS.modelDeployment, raw.metadata.namespace, raw.metadata.name, 'status'),
    query: { fieldManager: FIELD_MANAGER },
    body: [
      { op: 'replace', path: '/metadata/resourceVersion', value: raw.metadata.resourceVersion },
      // "add" replaces the whole status, so fields we no longer report disappear too.
      { op: 'add', path: '/status', value: status },
    ],
    contentType: 'application/json-patch+json',
  });
  log.info(
    { conditions: status.conditions?.map((c) => `${c.type}=${c.status}/${c.reason}`) },
    'status written',
  );
  return 1;
}
