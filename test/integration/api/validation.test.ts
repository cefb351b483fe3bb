/**
 * The invalid-spec table against kube-apiserver with the generated CRD installed: the
 * server that enforces the schema and the CEL rules must refuse every case, naming the
 * field (and, for our own rules, our message). Set MODELDEPLOY_PRINT_VALIDATION=1 to print
 * the table with the message each case gets (docs/api-validation.md is made from it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNamespace, k } from '../cluster/cluster-kit.js';
import { invalidCases } from '../../fixtures/invalid-model-deployments.js';
import { parseModelDeployment } from '../../../operator/src/api/model-deployment.js';

const table: string[] = [];

function manifest(name: string, spec: Record<string, unknown>): string {
  return JSON.stringify({
    apiVersion: 'modeldeploy.io/v1alpha1',
    kind: 'ModelDeployment',
    metadata: { name },
    spec,
  });
}

describe('kube-apiserver refuses every invalid ModelDeployment of the table', () => {
  let ns = '';
  beforeAll(async () => {
    ns = await createNamespace('validation');
  });
  afterAll(async () => {
    await k(['delete', 'namespace', ns, '--wait=false']);
    if (process.env.MODELDEPLOY_PRINT_VALIDATION) {
      process.stderr.write(`\n| case | kube-apiserver says |\n|---|---|\n${table.join('\n')}\n`);
    }
  });

  it.each(invalidCases)('$name', async (c) => {
    const name = c.metadataName ?? `case-${invalidCases.indexOf(c)}`;
    const res = await k(
      ['apply', '--server-side', '--dry-run=server', '-n', ns, '-f', '-'],
      manifest(name, c.spec),
    );
    const message = res.stderr.trim().replace(/\s+/g, ' ');
    table.push(`| ${c.name} | ${message.replace(/\|/g, '\\|')} |`);
    expect(res.code).not.toBe(0);
    expect(message).toContain(c.field);
    if (c.message) expect(message).toContain(c.message);
  });

  it('accepts what the operator accepts: the valid neighbour of a CEL case passes both', async () => {
    const spec = {
      model: { version: '1', uri: 'pvc://models/v1/m.onnx' },
      autoscaling: { minReplicas: 2, maxReplicas: 2, metric: 'inflight', targetInflight: 4 },
    };
    const res = await k(
      ['apply', '--server-side', '--dry-run=server', '-n', ns, '-f', '-'],
      manifest('valid-neighbour', spec),
    );
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const parsed = parseModelDeployment({
      metadata: { name: 'valid-neighbour', namespace: ns },
      spec,
    });
    expect(parsed.ok).toBe(true);
  });
});
