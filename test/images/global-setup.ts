/**
 * vitest globalSetup of the `images` project: make sure Docker runs and the images are
 * built (scripts/build-images.sh: seeds the Node base image, then a BuildKit build that is
 * a few seconds when nothing changed), and remove containers a crashed earlier run left.
 * Set MODELDEPLOY_SKIP_IMAGE_BUILD=1 when a CI step already ran build-images.sh.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { removeLeftoverContainers } from './containers.js';
import { IMAGES, imageExists } from './images.js';
import { guardTeardown } from '../support/teardown-guard.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Whether the operator image exists (it is built once operator/src/main.ts does). */
    operatorImageBuilt: boolean;
  }
}

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.env.MODELDEPLOY_SKIP_IMAGE_BUILD !== '1') await runBuildScript();
  if (!(await imageExists(IMAGES.runtime))) {
    throw new Error(
      `${IMAGES.runtime} is missing; run scripts/build-images.sh and read its errors`,
    );
  }
  const operatorExpected = existsSync(`${repoRoot}operator/src/main.ts`);
  const operatorBuilt = await imageExists(IMAGES.operator);
  if (operatorExpected && !operatorBuilt) {
    throw new Error(
      `${IMAGES.operator} is missing although operator/src/main.ts exists; run scripts/build-images.sh`,
    );
  }
  project.provide('operatorImageBuilt', operatorBuilt);
  // Containers a crashed earlier run left are removed quietly; ones this run left are a leak.
  await removeLeftoverContainers();
  return guardTeardown('the images project', failOnLeftoverContainers);
}

async function failOnLeftoverContainers(): Promise<void> {
  const leaked = await removeLeftoverContainers();
  if (leaked.length > 0) {
    throw new Error(
      `containers outlived the tests that started them (removed now): ${leaked.join('; ')}; a test is missing its container.stop()`,
    );
  }
}

/** Streams the script's progress to stderr; a cold machine takes a few minutes. */
function runBuildScript(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [`${repoRoot}scripts/build-images.sh`], {
      cwd: repoRoot,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new Error(
            `scripts/build-images.sh failed (${signal ?? `exit ${code}`}); its output above says why`,
          ),
        );
    });
  });
}
