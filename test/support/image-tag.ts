/**
 * The tag of the images this checkout builds (scripts/build-images.sh computes the same):
 * `dev-` and the first 12 hex digits of the sha256 of the checkout's real path, so two
 * checkouts on one Docker daemon (a developer's clone and CI's, two worktrees) never
 * overwrite each other's images. MODELDEPLOY_IMAGE_TAG overrides it for both.
 */
import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const repoRoot = realpathSync(fileURLToPath(new URL('../../', import.meta.url))).replace(/\/$/, '');

export type ImageKind = 'runtime' | 'operator' | 'runtime-example' | 'runtime-examples';

export function imageTag(): string {
  const override = process.env['MODELDEPLOY_IMAGE_TAG'];
  if (override !== undefined && override !== '') return override;
  return `dev-${createHash('sha256').update(repoRoot).digest('hex').slice(0, 12)}`;
}

export function imageName(kind: ImageKind): string {
  return `modeldeploy/${kind}:${imageTag()}`;
}
