import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { OPERATOR_NODE_FLAGS } from '../../operator/src/node-flags.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

describe('the operator runs with the same V8 flags everywhere', () => {
  it('in the image: Dockerfile.operator ENTRYPOINT', () => {
    const dockerfile = readFileSync(`${REPO}Dockerfile.operator`, 'utf8');
    const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1];
    expect(entrypoint, 'Dockerfile.operator has an exec-form ENTRYPOINT').toBeDefined();
    expect(JSON.parse(entrypoint ?? '[]')).toEqual([
      'node',
      ...OPERATOR_NODE_FLAGS,
      '/app/operator/dist/main.js',
    ]);
  });

  it('with npm start -w operator', () => {
    const pkg = JSON.parse(readFileSync(`${REPO}operator/package.json`, 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts['start']).toBe(['node', ...OPERATOR_NODE_FLAGS, 'dist/main.js'].join(' '));
  });
});
