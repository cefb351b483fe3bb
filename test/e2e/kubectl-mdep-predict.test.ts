/**
 * `kubectl mdep predict` and `get` against runtime pods on the real node: one inference
 * through the API server's service proxy reaches the model and the plugin names the
 * version that answered, per track with --version, during a canary.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { OperatorProcess } from '../support/operator-process.js';
import { mdep } from '../integration/cli/mdep-plugin.js';
import {
  createNamespace,
  eventually,
  getJson,
  k,
  kOk,
  maxDifference,
  type GoldenRequest,
  type InferResponse,
} from './e2e-kit.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const skipReason = inject('e2eSkipReason');
const golden = (file: string): GoldenRequest => {
  const first = (
    JSON.parse(readFileSync(`${REPO}examples/models/${file}`, 'utf8')) as GoldenRequest[]
  )[0];
  if (first === undefined) throw new Error(`examples/models/${file} is empty`);
  return first;
};

interface MDep {
  status?: {
    stable?: { readyReplicas?: number };
    canary?: { readyReplicas?: number; phase?: string };
  };
}

describe.skipIf(skipReason !== '')(
  `kubectl mdep on the real node${skipReason === '' ? '' : ` (skipped: ${skipReason})`}`,
  () => {
    let ns = '';
    let operator: OperatorProcess | undefined;
    const plugin = (args: string[], stdin?: string) =>
      mdep(inject('kubeconfigPath'), ['-n', ns, ...args], stdin);

    beforeAll(async () => {
      ns = await createNamespace('e2e-mdep');
      operator = await OperatorProcess.start({
        kubeconfigPath: inject('kubeconfigPath'),
        namespaces: [ns],
        env: { RUNTIME_IMAGE: inject('e2eRuntimeImage') },
      });
      const md = {
        apiVersion: 'modeldeploy.io/v1alpha1',
        kind: 'ModelDeployment',
        metadata: { name: 'iris' },
        spec: {
          model: { version: '1', uri: 'file:///models/mlp-tiny.onnx' },
          replicas: 1,
          runtime: { nodeSelector: { 'kubernetes.io/hostname': inject('realNodeName') } },
          canary: {
            model: { version: '2', uri: 'file:///models/mlp-tiny-v2.onnx' },
            steps: [{ weight: 50, pauseSeconds: 3600 }],
          },
        },
      };
      await kOk(['apply', '-n', ns, '-f', '-'], JSON.stringify(md));
      await eventually(
        'a ready stable and a ready canary pod',
        async () => {
          const got = await getJson<MDep>(['mdep', 'iris', '-n', ns]);
          const ready =
            (got.status?.stable?.readyReplicas ?? 0) > 0 &&
            (got.status?.canary?.readyReplicas ?? 0) > 0;
          return ready && got.status?.canary?.phase === 'Progressing' ? true : undefined;
        },
        180_000,
        1_000,
      );
    }, 240_000);

    afterAll(async () => {
      await operator?.stop();
      if (ns !== '') await k(['delete', 'namespace', ns, '--wait=false']);
    });

    it('predict --version sends one request to each track and names the version that answered', async () => {
      for (const [version, file, track] of [
        ['1', 'mlp-tiny.golden.json', 'stable'],
        ['2', 'mlp-tiny-v2.golden.json', 'canary'],
      ] as const) {
        const request = golden(file);
        const res = await plugin(
          ['predict', 'iris', '-f', '-', '--version', version],
          JSON.stringify({ inputs: request.inputs }),
        );
        expect(res.stderr).toBe(
          `served by ${version} (${track}) via Service iris-${track}, /v2/models/iris/infer\n`,
        );
        expect(res.code).toBe(0);
        const answer = JSON.parse(res.stdout) as InferResponse;
        expect(answer.model_version).toBe(version);
        expect(maxDifference(request.outputs, answer.outputs)).toBeLessThanOrEqual(
          request.tolerance ?? 1e-4,
        );
      }
    });

    it('predict without --version goes through the main Service; get shows both tracks serving', async () => {
      const request = golden('mlp-tiny.golden.json');
      const res = await plugin(
        ['predict', 'iris', '-f', '-'],
        JSON.stringify({ inputs: request.inputs }),
      );
      expect(res.code).toBe(0);
      expect(res.stderr).toMatch(
        /^served by [12] \((stable|canary)\) via Service iris, \/v2\/models\/iris\/infer\n$/,
      );
      const tree = await plugin(['get', 'iris']);
      expect(tree.stdout).toMatch(/stable +1 +pods 1\/1 ready/);
      expect(tree.stdout).toMatch(/canary +2 +pods 1\/1 ready/);
    });
  },
);
