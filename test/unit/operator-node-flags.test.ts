import { describe, expect, it } from 'vitest';
import { dockerfileEntrypoint, startScript } from './node-command.js';
import { OPERATOR_NODE_FLAGS } from '../../operator/src/node-flags.js';

describe('the operator runs with the same V8 flags everywhere', () => {
  it('in the image: Dockerfile.operator ENTRYPOINT', () => {
    const entrypoint = dockerfileEntrypoint('Dockerfile.operator');
    expect(entrypoint, 'Dockerfile.operator has an exec-form ENTRYPOINT').toBeDefined();
    expect(entrypoint).toEqual(['node', ...OPERATOR_NODE_FLAGS, '/app/operator/dist/main.js']);
  });

  it('with npm start -w operator', () => {
    expect(startScript('operator')).toBe(
      ['node', ...OPERATOR_NODE_FLAGS, 'dist/main.js'].join(' '),
    );
  });
});
