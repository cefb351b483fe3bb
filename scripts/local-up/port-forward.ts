/** `kubectl port-forward service/<name> :80` on loopback, for the prediction at the end. */
import { spawn, type ChildProcess } from 'node:child_process';

export interface Forward {
  readonly port: number;
  readonly child: ChildProcess;
}

/**
 * Starts the port-forward; resolves with the local port once kubectl listens.
 * `targetArgs` picks the cluster (--kubeconfig, --context).
 */
export function portForward(
  kubectlBin: string,
  targetArgs: readonly string[],
  namespace: string,
  service: string,
): Promise<Forward> {
  const child = spawn(
    kubectlBin,
    [
      ...targetArgs,
      'port-forward',
      '-n',
      namespace,
      '--address=127.0.0.1',
      `service/${service}`,
      ':80',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`kubectl port-forward did not listen within 30 s: ${out}`));
    }, 30_000);
    const onData = (chunk: Buffer): void => {
      out += chunk.toString('utf8');
      const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out);
      if (m?.[1] !== undefined) {
        clearTimeout(timer);
        resolve({ port: Number(m[1]), child });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`kubectl port-forward exited with ${code}: ${out}`));
    });
  });
}

/** POSTs a V2 infer request to `url`; resolves with the answer's text, throws on non-200. */
export async function predict(url: string, body: string): Promise<string> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    signal: AbortSignal.timeout(20_000),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}: ${text}`);
  return text;
}
