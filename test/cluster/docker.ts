/**
 * The local Docker daemon as the test cluster and scripts/local-up.ts see it: which CLI
 * talks to it, and whether an image scripts/build-images.sh builds is there.
 */
import { existsSync } from 'node:fs';
import { sh } from './host-state.js';

/**
 * Debian's CLI, when installed: it matches Debian's daemon, where a newer CLI elsewhere on
 * PATH wants the buildx plugin (scripts/lib/common.sh's docker_cli picks the same way).
 */
export function dockerCli(): string {
  return existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';
}

/** Whether the local daemon has `image`; false also when docker is missing or not running. */
export async function dockerImageExists(image: string): Promise<boolean> {
  return (await sh(dockerCli(), ['image', 'inspect', '--format', '{{.Id}}', image])).code === 0;
}
