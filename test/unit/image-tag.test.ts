import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { imageName, imageTag } from '../support/image-tag.js';

function scriptTag(env: NodeJS.ProcessEnv): string {
  const out = spawnSync('bash', ['scripts/build-images.sh', '--print-tag'], {
    encoding: 'utf8',
    env,
  });
  if (out.status !== 0) throw new Error(`build-images.sh --print-tag failed: ${out.stderr}`);
  return out.stdout.trim();
}

describe('image tag', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('is the same in scripts/build-images.sh and in the suites, and names this checkout', () => {
    // Empty means unset for both the script and image-tag.ts.
    vi.stubEnv('MODELDEPLOY_IMAGE_TAG', '');
    const tag = scriptTag({ ...process.env, MODELDEPLOY_IMAGE_TAG: '' });
    expect(tag).toMatch(/^dev-[0-9a-f]{12}$/);
    expect(imageTag()).toBe(tag);
    expect(imageName('runtime-examples')).toBe(`modeldeploy/runtime-examples:${tag}`);
  });

  it('follows MODELDEPLOY_IMAGE_TAG in the script', () => {
    expect(scriptTag({ ...process.env, MODELDEPLOY_IMAGE_TAG: 'ci-42' })).toBe('ci-42');
  });
});
