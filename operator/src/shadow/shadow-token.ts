import type { ModelDeployment } from '../api/model-deployment.js';
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

export type ShadowTokenSource = Pick<ModelDeployment, 'metadata' | 'spec'>;

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
export function shadowTokenSecret(md: ShadowTokenSource, token: string): object {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: childMetadata(md, shadowTokenSecretName(md), commonLabels(md)),
    type: 'Opaque',
    stringData: { [SHADOW_TOKEN_KEY]: token },
  };
}
