import { API_GROUP, API_VERSION, PLURAL } from '../api/model-deployment.js';
import { apiFailure } from './api-failure.js';
import type {
  DeploymentObject,
  HpaObject,
  ModelDeploymentObject,
  Snapshot,
} from './cluster-objects.js';
import type { KubeSession } from './kube-session.js';

export const MDEP_RESOURCE = `${PLURAL}.${API_GROUP}`;

export function mdepPath(namespace: string, name: string): string {
  return `/apis/${API_GROUP}/${API_VERSION}/namespaces/${encodeURIComponent(namespace)}/${PLURAL}/${encodeURIComponent(name)}`;
}

/** The ModelDeployment itself; not found and forbidden become errors that say what to do. */
export async function fetchModelDeployment(
  session: KubeSession,
  name: string,
): Promise<ModelDeploymentObject> {
  const res = await session.request('GET', mdepPath(session.namespace, name));
  if (res.status !== 200) {
    throw apiFailure(res.status, res.body, {
      verb: 'get',
      resource: MDEP_RESOURCE,
      name,
      namespace: session.namespace,
      context: session.context,
    });
  }
  return JSON.parse(res.body) as ModelDeploymentObject;
}

/** A child the user may not be allowed to read, or that does not exist (yet): undefined. */
async function optional<T>(session: KubeSession, path: string): Promise<T | undefined> {
  const res = await session.request('GET', path);
  return res.status === 200 ? (JSON.parse(res.body) as T) : undefined;
}

/** The ModelDeployment and the children `get` shows: the two Deployments and the HPA. */
export async function fetchSnapshot(session: KubeSession, name: string): Promise<Snapshot> {
  const md = await fetchModelDeployment(session, name);
  const ns = encodeURIComponent(session.namespace);
  const deployments = `/apis/apps/v1/namespaces/${ns}/deployments`;
  const [stable, canary, hpa] = await Promise.all([
    optional<DeploymentObject>(session, `${deployments}/${encodeURIComponent(name)}`),
    optional<DeploymentObject>(session, `${deployments}/${encodeURIComponent(`${name}-canary`)}`),
    md.spec.autoscaling === undefined
      ? Promise.resolve(undefined)
      : optional<HpaObject>(
          session,
          `/apis/autoscaling/v2/namespaces/${ns}/horizontalpodautoscalers/${encodeURIComponent(name)}`,
        ),
  ]);
  return { md, stable, canary, hpa };
}
