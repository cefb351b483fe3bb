import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildCrd, toStructural } from '../../operator/src/api/crd.js';
import { renderCrdYaml } from '../../operator/src/api/crd-yaml.js';

const crdPath = fileURLToPath(
  new URL('../../crds/modeldeployments.modeldeploy.io.yaml', import.meta.url),
);

type Node = { [key: string]: unknown };

/** Every property below spec and status, with its dotted path. */
function* properties(node: Node, path: string): Generator<[string, Node]> {
  const props = node.properties as Record<string, Node> | undefined;
  for (const [name, child] of Object.entries(props ?? {})) {
    yield [`${path}.${name}`, child];
    yield* properties(child, `${path}.${name}`);
  }
  const items = node.items as Node | undefined;
  if (items) yield* properties(items, `${path}[]`);
  const additional = node.additionalProperties as Node | undefined;
  if (additional && typeof additional === 'object') yield* properties(additional, `${path}{}`);
}

function openApiSchema(): Node {
  const crd = buildCrd() as { spec: { versions: { schema: { openAPIV3Schema: Node } }[] } };
  const schema = crd.spec.versions[0]?.schema.openAPIV3Schema;
  if (!schema) throw new Error('CRD has no schema');
  return schema;
}

describe('generated CRD', () => {
  it('matches the checked-in file (run `npm run generate` after changing the schema)', () => {
    expect(readFileSync(crdPath, 'utf8')).toBe(renderCrdYaml());
  });

  it('describes every field so `kubectl explain` teaches the API', () => {
    const root = openApiSchema();
    const missing: string[] = [];
    for (const part of ['spec', 'status']) {
      const node = (root.properties as Record<string, Node>)[part] as Node;
      for (const [path, child] of properties(node, part)) {
        if (typeof child.description !== 'string' || child.description.length < 3)
          missing.push(path);
      }
    }
    expect(missing).toEqual([]);
  });

  it('is structural: no anyOf without int-or-string, no properties beside additionalProperties', () => {
    const text = JSON.stringify(openApiSchema());
    expect(text).not.toContain('"anyOf"');
    expect(text).not.toContain('"oneOf"');
    expect(text).not.toContain('"additionalProperties":false');
  });

  it('turns int-or-string unions into the Kubernetes extension', () => {
    const out = toStructural({
      anyOf: [{ type: 'integer' }, { type: 'string' }],
      'x-kubernetes-int-or-string': true,
      description: 'q',
    });
    expect(out).toEqual({ 'x-kubernetes-int-or-string': true, description: 'q' });
  });

  it('has the scale subresource wired to spec.replicas and status.selector', () => {
    const crd = buildCrd() as { spec: { versions: { subresources: Node }[] } };
    expect(crd.spec.versions[0]?.subresources).toEqual({
      status: {},
      scale: {
        specReplicasPath: '.spec.replicas',
        statusReplicasPath: '.status.replicas',
        labelSelectorPath: '.status.selector',
      },
    });
  });
});
