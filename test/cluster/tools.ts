import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BUILD_SCRIPT = fileURLToPath(new URL('./build-tools.sh', import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const BINARIES = [
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kubectl',
  'kwok',
  'helm',
] as const;
export type Binary = (typeof BINARIES)[number];

/** What build-tools.sh produced: binaries, CRDs and kwok stages of pinned versions. */
export interface ClusterTools {
  readonly dir: string;
  readonly binDir: string;
  readonly bin: Readonly<Record<Binary, string>>;
  readonly gatewayApiCrdFiles: readonly string[];
  readonly kwokStageFiles: readonly string[];
  readonly versions: Readonly<Record<string, string | number>>;
}

function yamlFilesIn(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort()
    .map((f) => join(dir, f));
}

/** Read a finished tools dir; throws with the missing piece if it is incomplete. */
export function loadTools(dir: string): ClusterTools {
  if (!existsSync(join(dir, '.complete'))) {
    throw new Error(`${dir} is not a finished tools build; run test/cluster/build-tools.sh`);
  }
  const binDir = join(dir, 'bin');
  const bin = Object.fromEntries(BINARIES.map((b) => [b, join(binDir, b)])) as Record<
    Binary,
    string
  >;
  for (const path of Object.values(bin)) {
    if (!existsSync(path)) throw new Error(`missing ${path}; delete ${dir} and rebuild`);
  }
  const versions = JSON.parse(readFileSync(join(dir, 'versions.json'), 'utf8')) as Record<
    string,
    string | number
  >;
  return {
    dir,
    binDir,
    bin,
    gatewayApiCrdFiles: yamlFilesIn(join(dir, 'crds', 'gateway-api')),
    kwokStageFiles: yamlFilesIn(join(dir, 'kwok-stages')),
    versions,
  };
}

/**
 * Run build-tools.sh (a no-op on a warm cache) and load its result. Progress goes to our
 * stderr so a cold build is visibly alive; the script prints the tools dir on stdout.
 * MODELDEPLOY_CLUSTER_TOOLS=<dir> skips the script, for a prebuilt dir.
 */
export async function ensureTools(): Promise<ClusterTools> {
  const preset = process.env['MODELDEPLOY_CLUSTER_TOOLS'];
  if (preset !== undefined && preset !== '') return loadTools(preset);
  const dir = await new Promise<string>((resolve, reject) => {
    const child = spawn('bash', [BUILD_SCRIPT], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code === 0 && last !== '') resolve(last);
      else reject(new Error(`${BUILD_SCRIPT} exited with ${code}; its progress log is above`));
    });
  });
  return loadTools(dir);
}
