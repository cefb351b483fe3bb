import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const NODE_BUILD_SCRIPT = fileURLToPath(new URL('./build-node-tools.sh', import.meta.url));

/** What build-node-tools.sh produced: kubelet, kube-proxy, the pause binary and image. */
export interface NodeTools {
  readonly dir: string;
  readonly kubelet: string;
  readonly kubeProxy: string;
  readonly pauseImageArchive: string;
  /** e.g. registry.k8s.io/pause:3.10.1, the tag inside pauseImageArchive. */
  readonly pauseImage: string;
  readonly versions: Readonly<Record<string, string | number>>;
}

export function loadNodeTools(dir: string): NodeTools {
  if (!existsSync(join(dir, '.complete'))) {
    throw new Error(`${dir} is not a finished node-tools build; run ${NODE_BUILD_SCRIPT}`);
  }
  const tools = {
    dir,
    kubelet: join(dir, 'bin', 'kubelet'),
    kubeProxy: join(dir, 'bin', 'kube-proxy'),
    pauseImageArchive: join(dir, 'images', 'pause.tar'),
  };
  for (const path of Object.values(tools)) {
    if (!existsSync(path)) throw new Error(`missing ${path}; delete ${dir} and rebuild`);
  }
  const versions = JSON.parse(readFileSync(join(dir, 'versions.json'), 'utf8')) as Record<
    string,
    string | number
  >;
  return { ...tools, pauseImage: String(versions['pauseImage']), versions };
}

/**
 * Run build-node-tools.sh (a no-op on a warm cache) and load its result.
 * MODELDEPLOY_NODE_TOOLS=<dir> skips the script, for a prebuilt dir.
 */
export async function ensureNodeTools(): Promise<NodeTools> {
  const preset = process.env['MODELDEPLOY_NODE_TOOLS'];
  if (preset !== undefined && preset !== '') return loadNodeTools(preset);
  const dir = await new Promise<string>((resolve, reject) => {
    const child = spawn('bash', [NODE_BUILD_SCRIPT], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code === 0 && last !== '') resolve(last);
      else reject(new Error(`${NODE_BUILD_SCRIPT} exited with ${code}; its progress log is above`));
    });
  });
  return loadNodeTools(dir);
}
