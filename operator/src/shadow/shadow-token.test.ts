import { describe, expect, it } from 'vitest';
import { parseModelDeployment, type ModelDeployment } from '../api/model-deployment.js';
import { buildDeployment } from '../resources/deployment.js';
import type { Track } from '../resources/tracks.js';
import { shadowTokenNeeded, shadowTokenSecret } from './shadow-token.js';

function md(spec: Record<string, unknown>): ModelDeployment {
  const r = parseModelDeployment({
    metadata: { name: 'scorer', namespace: 'ml', uid: 'u-1', generation: 1 },
    spec: { model: { version: '1', uri: 'https://x/v1.onnx' }, ...spec },
  });
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.value;
}

const jwt = { jwt: { issuer: 'https://issuer.example', keysSecretRef: { name: 'jwt-keys' } } };
const shadow = { model: { version: '2', uri: 'https://x/v2.onnx' } };
const canary = { model: { version: '3', uri: 'https://x/v3.onnx' } };

function tokenMount(resource: ModelDeployment, track: Track): string | undefined {
  const dep = buildDeployment(resource, {
    track,
    model: { version: '9', uri: 'https://x/v9.onnx' },
    replicas: 1,
    defaultImage: 'img',
  });
  const pod = dep.spec?.template.spec;
  const volume = pod?.volumes?.find((v) => v.name === 'shadow-token');
  const env = pod?.containers[0]?.env?.find((e) => e.name === 'SHADOW_TOKEN_FILE');
  if ((volume === undefined) !== (env === undefined)) throw new Error('volume and env disagree');
  return volume?.secret?.secretName;
}

describe('the shadow token', () => {
  it('is needed only while a shadow track runs with auth on', () => {
    expect(shadowTokenNeeded(md({ auth: jwt, shadow }))).toBe(true);
    expect(shadowTokenNeeded(md({ auth: { apiKeySecretRef: { name: 'k' } }, shadow }))).toBe(true);
    expect(shadowTokenNeeded(md({ shadow }))).toBe(false);
    expect(shadowTokenNeeded(md({ auth: jwt }))).toBe(false);
  });

  it('is mounted into the stable and shadow pods, never the canary', () => {
    const resource = md({ auth: jwt, shadow, canary });
    expect(tokenMount(resource, 'stable')).toBe('scorer-shadow-token');
    expect(tokenMount(resource, 'shadow')).toBe('scorer-shadow-token');
    expect(tokenMount(resource, 'canary')).toBeUndefined();
    expect(tokenMount(md({ shadow }), 'stable')).toBeUndefined();
  });

  it('is an owned Secret holding the token under one key', () => {
    expect(shadowTokenSecret(md({ auth: jwt, shadow }), 'tok')).toMatchObject({
      kind: 'Secret',
      metadata: {
        name: 'scorer-shadow-token',
        namespace: 'ml',
        ownerReferences: [expect.objectContaining({ kind: 'ModelDeployment', uid: 'u-1' })],
      },
      stringData: { token: 'tok' },
    });
  });
});
