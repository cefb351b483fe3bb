/**
 * What the e2e tests share: kubectl and the API server as the admin of the globalSetup
 * cluster, the real node's name, port-forwards and polling. All traffic goes to loopback
 * (the API server, kubectl port-forward) and from there into pods this suite created.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { parse } from 'yaml';
import { apiRequest, type ApiResponse } from '../cluster/api-client.js';
import { parseKubeconfig } from '../cluster/kubeconfig.js';

import { kubectlBin } from '../integration/cluster/cluster-kit.js';

// kubectl, namespaces and polling are the same as in the kwok suites.
export {
  createNamespace,
  eventually,
  getJson,
  k,
  kOk,
  kubectlBin,
} from '../integration/cluster/cluster-kit.js';

/**
 * A request to the API server as the admin (e.g. the service proxy). Extra headers reach
 * the pod through the proxy, except Authorization, which the API server keeps for itself.
 */
export function api(
  method: string,
  path: string,
  body?: unknown,
  headers: Readonly<Record<string, string>> = {},
): Promise<ApiResponse> {
  return apiRequest(parseKubeconfig(inject('kubeconfig')), method, path, body, 30_000, headers);
}

export interface PortForward {
  readonly port: number;
  stop(): Promise<void>;
}

/** `kubectl port-forward <target> :<remotePort>` on 127.0.0.1; resolves once it listens. */
export function portForward(
  namespace: string,
  target: string,
  remotePort: number,
): Promise<PortForward> {
  const child = spawn(
    kubectlBin(),
    [
      `--kubeconfig=${inject('kubeconfigPath')}`,
      'port-forward',
      '-n',
      namespace,
      '--address=127.0.0.1',
      target,
      `:${remotePort}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`kubectl port-forward ${target} did not listen within 30 s: ${out}`));
    }, 30_000);
    const onData = (chunk: Buffer): void => {
      out += chunk.toString('utf8');
      const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out);
      if (m?.[1] !== undefined) {
        clearTimeout(timer);
        resolve({
          port: Number(m[1]),
          stop: async () => {
            child.kill('SIGTERM');
            await exited;
          },
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`kubectl port-forward ${target} exited with ${code}: ${out}`));
    });
  });
}

export interface Tensor {
  readonly name: string;
  readonly shape?: readonly number[];
  readonly datatype?: string;
  readonly data: readonly number[];
}

export interface GoldenRequest {
  readonly name: string;
  readonly inputs: readonly Tensor[];
  readonly outputs: readonly Tensor[];
  readonly tolerance?: number;
}

export interface InferResponse {
  readonly model_name?: string;
  readonly model_version?: string;
  readonly outputs: readonly Tensor[];
}

/** Largest |expected - actual| over all values of the named outputs. */
export function maxDifference(expected: readonly Tensor[], actual: readonly Tensor[]): number {
  let worst = 0;
  for (const e of expected) {
    const a = actual.find((t) => t.name === e.name);
    if (a === undefined || a.data.length !== e.data.length) return Number.POSITIVE_INFINITY;
    e.data.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - (a.data[i] ?? NaN)))));
  }
  return worst;
}

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** An example's ModelDeployment (JSON text), renamed and pinned to the real node. */
export function exampleOnRealNode(
  file: string,
  name: string,
  extraSpec: Record<string, unknown> = {},
): string {
  const docs = readFileSync(`${REPO}examples/${file}`, 'utf8')
    .split(/^---$/m)
    .map((d) => parse(d) as Record<string, unknown> | null)
    .filter((d): d is Record<string, unknown> => d !== null && d['kind'] === 'ModelDeployment');
  const md = docs[0];
  if (md === undefined) throw new Error(`no ModelDeployment in examples/${file}`);
  const spec = (md['spec'] ?? {}) as Record<string, unknown>;
  const runtime = (spec['runtime'] ?? {}) as Record<string, unknown>;
  return JSON.stringify({
    ...md,
    metadata: { name },
    spec: {
      ...spec,
      ...extraSpec,
      runtime: {
        ...runtime,
        nodeSelector: { 'kubernetes.io/hostname': inject('realNodeName') },
      },
    },
  });
}

/** True when a TCP connection to ip:port opens (bounded: 2 s). */
export function tcpReachable(ip: string, port: number): Promise<true | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host: ip, port, timeout: 2_000 });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok ? true : undefined);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}
