import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const file = (path: string): string =>
  readFileSync(fileURLToPath(new URL(`../../${path}`, import.meta.url)), 'utf8');

describe('Helm chart CRD', () => {
  it('is the generated CRD byte for byte (run `npm run generate` to copy it)', () => {
    expect(file('charts/modeldeploy/crds/modeldeployments.modeldeploy.io.yaml')).toBe(
      file('crds/modeldeployments.modeldeploy.io.yaml'),
    );
  });
});
