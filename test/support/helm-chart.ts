/**
 * Renders charts/modeldeploy with the harness-built helm, for the chart tests and for
 * installOperatorRbac. helm gets a private HELM_*_HOME so nothing is read from or written
 * to the developer's own helm configuration.
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const CHART_DIR = fileURLToPath(new URL('../../charts/modeldeploy', import.meta.url));

export interface HelmResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A rendered Kubernetes object, as much of it as the tests read. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

function helmHome(): string {
  const dir = join(tmpdir(), `modeldeploy-helm-home-${process.getuid?.() ?? 0}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Runs helm; resolves with its exit code and output, never rejects on a non-zero exit. */
export function helm(binDir: string, args: readonly string[]): Promise<HelmResult> {
  const home = helmHome();
  return new Promise((resolve, reject) => {
    const child = spawn(join(binDir, 'helm'), args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH ?? '',
        HOME: home,
        HELM_CACHE_HOME: join(home, 'cache'),
        HELM_CONFIG_HOME: join(home, 'config'),
        HELM_DATA_HOME: join(home, 'data'),
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Values as `--set-json key=<json>` per top-level key (merged like --set, lists included). */
export function valuesArgs(values: Record<string, unknown> = {}): string[] {
  return Object.entries(values).flatMap(([key, value]) => [
    '--set-json',
    `${key}=${JSON.stringify(value)}`,
  ]);
}

export interface TemplateOptions {
  readonly release?: string;
  readonly namespace?: string;
  readonly values?: Record<string, unknown>;
  /** Template paths relative to the chart, e.g. templates/rbac.yaml. */
  readonly showOnly?: readonly string[];
  readonly includeCrds?: boolean;
}

/** `helm template`; throws with helm's stderr when rendering fails. */
export async function helmTemplate(binDir: string, opts: TemplateOptions = {}): Promise<string> {
  const args = [
    'template',
    opts.release ?? 'modeldeploy',
    CHART_DIR,
    '--namespace',
    opts.namespace ?? 'modeldeploy-system',
    ...valuesArgs(opts.values),
    ...(opts.showOnly ?? []).flatMap((t) => ['--show-only', t]),
    ...(opts.includeCrds ? ['--include-crds'] : []),
  ];
  const res = await helm(binDir, args);
  if (res.code !== 0) {
    throw new Error(`helm ${args.join(' ')} exited ${res.code}: ${res.stderr.trim()}`);
  }
  return res.stdout;
}

/** The objects of a multi-document YAML stream; empty documents are dropped. */
export function parseManifests(text: string): Manifest[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0)
        throw new Error(`invalid YAML from helm: ${doc.errors[0]?.message}`);
      return doc.toJS() as unknown;
    })
    .filter((obj): obj is Manifest => typeof obj === 'object' && obj !== null && 'kind' in obj);
}
