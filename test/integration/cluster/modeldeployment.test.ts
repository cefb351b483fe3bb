import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { createNamespace, getJson, k, kOk } from './cluster-kit.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CRD_FILE = join(ROOT, 'crds', 'modeldeployments.modeldeploy.io.yaml');

type Doc = Record<string, unknown> & {
  kind?: string;
  metadata?: { name?: string };
  spec?: unknown;
};

/** Every ModelDeployment document in examples/*.yaml, with the file it came from. */
function exampleModelDeployments(): { file: string; doc: Doc }[] {
  const dir = join(ROOT, 'examples');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .flatMap((file) =>
      parseAllDocuments(readFileSync(join(dir, file), 'utf8'))
        .map((d) => d.toJS() as Doc | null)
        .filter((doc): doc is Doc => doc?.kind === 'ModelDeployment')
        .map((doc) => ({ file, doc })),
    );
}

/** Every x-kubernetes-validations entry in the CRD, wherever it sits in the schema. */
function celRules(node: unknown, found: { rule: string; message?: string }[] = []): typeof found {
  if (Array.isArray(node)) node.forEach((n) => celRules(n, found));
  else if (typeof node === 'object' && node !== null) {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'x-kubernetes-validations' && Array.isArray(value)) {
        found.push(...(value as { rule: string; message?: string }[]));
      } else celRules(value, found);
    }
  }
  return found;
}

describe('ModelDeployment CRD on a real API server', () => {
  let ns = '';
  beforeAll(async () => {
    ns = await createNamespace('mdep');
  });
  afterAll(async () => {
    await k(['delete', 'namespace', ns, '--wait=false']);
  });

  it('is installed and Established by the harness, with short name mdep', async () => {
    const crd = await getJson<{ spec: { names: { shortNames?: string[] } } }>([
      'crd',
      'modeldeployments.modeldeploy.io',
    ]);
    expect(crd.spec.names.shortNames).toContain('mdep');
    await kOk(['wait', '--for=condition=Established', 'crd/modeldeployments.modeldeploy.io']);
  });

  it('accepts every example in examples/ and reads it back unchanged', async () => {
    const examples = exampleModelDeployments();
    expect(examples.length).toBeGreaterThan(0);
    // Apply the files as a user would (Secrets and all), into our namespace.
    for (const file of new Set(examples.map((e) => e.file))) {
      await kOk(['-n', ns, 'apply', '-f', join(ROOT, 'examples', file)]);
    }
    for (const { file, doc } of examples) {
      const name = doc.metadata?.name ?? '';
      const stored = await getJson<Doc>(['-n', ns, 'mdep', name]);
      // Defaults may be added by the schema, but nothing the user wrote may change.
      expect(stored.spec, `${file}: ${name}`).toMatchObject(doc.spec as object);
    }
    const table = await kOk(['-n', ns, 'get', 'mdep']);
    expect(table).toMatch(/MODEL/);
  });

  it('refuses autoscaling with minReplicas > maxReplicas with the CEL message', async () => {
    const rule = celRules(parse(readFileSync(CRD_FILE, 'utf8'))).find(
      (r) => r.rule.includes('minReplicas') && r.rule.includes('maxReplicas'),
    );
    expect(rule?.message, 'the CRD must carry a CEL rule minReplicas <= maxReplicas').toBeDefined();
    const minimal = exampleModelDeployments().find((e) => e.file === 'minimal.yaml');
    expect(minimal).toBeDefined();
    const invalid = {
      ...minimal?.doc,
      metadata: { name: 'inverted-autoscaling', namespace: ns },
      spec: {
        ...(minimal?.doc.spec as object),
        autoscaling: { minReplicas: 5, maxReplicas: 2, metric: 'cpu', targetCPUUtilization: 70 },
      },
    };
    const res = await k(['apply', '-f', '-'], stringify(invalid));
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain(rule?.message ?? '<no rule>');
    const after = await k(['-n', ns, 'get', 'mdep', 'inverted-autoscaling']);
    expect(after.stderr).toMatch(/NotFound/);
  });
});
