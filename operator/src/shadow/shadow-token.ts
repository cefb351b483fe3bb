import { randomBytes } from 'node:crypto';
import type { ModelDeployment } from '../api/model-deployment.js';
import { FIELD_MANAGER } from '../controller/ownership.js';
import { ApiError, isNotFound } from '../kube/api-error.js';
import { collectionPath, KINDS, objectPath } from '../kube/kinds.js';
import type { KubeClient } from '../kube/kube-client.js';
import { commonLabels } from '../resources/labels.js';
import { childMetadata } from '../resources/owner.js';

/**
 * The shadow token: a random secret per ModelDeployment that stable pods send with their
 * copies and shadow pods accept from them (runtime SHADOW_TOKEN_FILE). Copies never carry
 * the user's credentials, so without it a shadow of a JWT-only deployment refuses them all.
 * It is made once and never rewritten (the pods read it from a mounted file); it goes with
 * the ModelDeployment through its owner reference.
 */

export const SHADOW_TOKEN_KEY = 'token';

type Source = Pick<ModelDeployment, 'metadata' | 'spec'>;

export function shadowTokenSecretName(md: Pick<ModelDeployment, 'metadata'>): string {
  return `${md.metadata.name}-shadow-token`;
}

/** A shadow track runs and its pods authenticate requests: the copies need the token. */
export function shadowTokenNeeded(md: Pick<ModelDeployment, 'spec'>): boolean {
  const auth = md.spec.auth;
  const authOn = auth?.jwt !== undefined || auth?.apiKeySecretRef !== undefined;
  return md.spec.shadow !== undefined && authOn;
}

/** The Secret as first created; `token` is 32 random bytes. */
export function shadowTokenSecret(md: Source, token: string): object {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: childMetadata(md, shadowTokenSecretName(md), commonLabels(md)),
    type: 'Opaque',
    stringData: { [SHADOW_TOKEN_KEY]: token },
  };
}

/**
 * Creates the token Secret when it does not exist yet; an existing one is left as it is, so
 * the token never changes under running pods. Returns whether it created it.
 */
export async function ensureShadowToken(
  client: Pick<KubeClient, 'get' | 'request'>,
  md: Source,
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
