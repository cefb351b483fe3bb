import { randomBytes } from 'node:crypto';
import { ApiError, isNotFound } from '../kube/api-error.js';
import { collectionPath, KINDS, objectPath } from '../kube/kinds.js';
import type { KubeClient } from '../kube/kube-client.js';
import {
  shadowTokenSecret,
  shadowTokenSecretName,
  type ShadowTokenSource,
} from '../shadow/shadow-token.js';
import { FIELD_MANAGER } from './ownership.js';

/**
 * Creates the token Secret when it does not exist yet; an existing one is left as it is, so
 * the token never changes under running pods. Returns whether it created it.
 */
export async function ensureShadowToken(
  client: Pick<KubeClient, 'get' | 'request'>,
  md: ShadowTokenSource,
): Promise<boolean> {
  const ns = md.metadata.namespace;
  try {
    await client.get(objectPath(KINDS.secret, ns, shadowTokenSecretName(md)));
    return false;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const token = randomBytes(32).toString('base64url');
  try {
    await client.request({
      method: 'POST',
      path: collectionPath(KINDS.secret, ns),
      query: { fieldManager: FIELD_MANAGER },
      body: shadowTokenSecret(md, token),
    });
    return true;
  } catch (err) {
    // Made meanwhile (another reconcile): that one is the token.
    if (err instanceof ApiError && err.conflict) return false;
    throw err;
  }
}
