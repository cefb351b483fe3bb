import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** The exec-form ENTRYPOINT of a Dockerfile at the repository's root, or undefined. */
export function dockerfileEntrypoint(dockerfile: string): string[] | undefined {
  const text = readFileSync(`${REPO}${dockerfile}`, 'utf8');
  const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(text)?.[1];
  return entrypoint === undefined ? undefined : (JSON.parse(entrypoint) as string[]);
}

/** The `start` script of a workspace's package.json (`operator`, `runtime`). */
export function startScript(workspace: string): string | undefined {
  const pkg = JSON.parse(readFileSync(`${REPO}${workspace}/package.json`, 'utf8')) as {
    scripts: Record<string, string>;
  };
  return pkg.scripts['start'];
}
