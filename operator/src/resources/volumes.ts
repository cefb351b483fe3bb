import type { V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import type { ModelDeployment } from '../api/model-deployment.js';
import { shadowTokenNeeded, shadowTokenSecretName } from '../shadow/shadow-token.js';
import {
  API_KEYS_DIR,
  JWT_KEYS_DIR,
  PVC_MOUNT_ROOT,
  SHADOW_TOKEN_DIR,
  TMP_DIR,
} from './runtime-contract.js';
import type { Track, TrackModel } from './tracks.js';
import { modelStorageVolumes } from './model-storage.js';

/** Volumes of a runtime pod and where the runtime container mounts them. */
export interface RuntimeVolumes {
  volumes: V1Volume[];
  mounts: V1VolumeMount[];
}

export interface PvcLocation {
  claim: string;
  path: string;
}

/** Splits pvc://<claim>/<path>; undefined for every other scheme. */
export function parsePvcUri(uri: string): PvcLocation | undefined {
  const match = /^pvc:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!match?.[1] || !match[2]) return undefined;
  return { claim: match[1], path: match[2] };
}

/** The writable scratch space: the root filesystem is read-only, the model cache lives here. */
function tmpVolume(md: Pick<ModelDeployment, 'spec'>): RuntimeVolumes {
  const sizeLimit = md.spec.model.storage?.cacheSizeLimit;
  return {
    volumes: [{ name: 'tmp', emptyDir: sizeLimit !== undefined ? { sizeLimit } : {} }],
    mounts: [{ name: 'tmp', mountPath: TMP_DIR }],
  };
}

/** A model on a PVC is read from the claim directly, read-only so a bad pod cannot alter it. */
function pvcVolume(model: TrackModel): RuntimeVolumes {
  const pvc = parsePvcUri(model.uri);
  if (!pvc) return { volumes: [], mounts: [] };
  return {
    volumes: [
      { name: 'model-pvc', persistentVolumeClaim: { claimName: pvc.claim, readOnly: true } },
    ],
    mounts: [{ name: 'model-pvc', mountPath: `${PVC_MOUNT_ROOT}/${pvc.claim}`, readOnly: true }],
  };
}

function secretVolume(name: string, secretName: string, mountPath: string): RuntimeVolumes {
  return {
    volumes: [{ name, secret: { secretName } }],
    mounts: [{ name, mountPath, readOnly: true }],
  };
}

/** Auth secrets are mounted as files, never env vars: files follow Secret updates and stay out of `kubectl describe`. */
function authVolumes(md: Pick<ModelDeployment, 'spec'>): RuntimeVolumes[] {
  const auth = md.spec.auth;
  const parts: RuntimeVolumes[] = [];
  if (auth?.apiKeySecretRef) {
    parts.push(secretVolume('api-keys', auth.apiKeySecretRef.name, API_KEYS_DIR));
  }
  if (auth?.jwt) parts.push(secretVolume('jwt-keys', auth.jwt.keysSecretRef.name, JWT_KEYS_DIR));
  return parts;
}

/** The shadow token: stable pods send it with their copies, shadow pods accept it. */
function shadowTokenVolumes(
  md: Pick<ModelDeployment, 'metadata' | 'spec'>,
  track: Track,
): RuntimeVolumes[] {
  if (track === 'canary' || !shadowTokenNeeded(md)) return [];
  return [secretVolume('shadow-token', shadowTokenSecretName(md), SHADOW_TOKEN_DIR)];
}

export function runtimeVolumes(
  md: Pick<ModelDeployment, 'metadata' | 'spec'>,
  model: TrackModel,
  track: Track,
): RuntimeVolumes {
  const parts = [
    tmpVolume(md),
    pvcVolume(model),
    ...authVolumes(md),
    ...shadowTokenVolumes(md, track),
    modelStorageVolumes(md.spec.model, model), // model-storage.ts
  ];
  return {
    volumes: parts.flatMap((p) => p.volumes),
    mounts: parts.flatMap((p) => p.mounts),
  };
}
