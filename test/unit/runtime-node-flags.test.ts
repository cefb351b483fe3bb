import { describe, expect, it } from 'vitest';
import { dockerfileEntrypoint, startScript } from './node-command.js';
import { RUNTIME_NODE_FLAGS } from '../../runtime/src/node-flags.js';
import { ourRuntimeSpec } from '../../bench/lib/our-runtime.js';
import type { BenchModel } from '../../bench/lib/models.js';

describe('the runtime runs with the same V8 flags everywhere', () => {
  it('includes single-threaded garbage collection', () => {
    expect(RUNTIME_NODE_FLAGS).toContain('--single-threaded-gc');
  });

  it('in the image: Dockerfile.runtime ENTRYPOINT', () => {
    const entrypoint = dockerfileEntrypoint('Dockerfile.runtime');
    expect(entrypoint, 'Dockerfile.runtime has an exec-form ENTRYPOINT').toBeDefined();
    expect(entrypoint).toEqual(['node', ...RUNTIME_NODE_FLAGS, '/app/runtime/dist/main.js']);
  });

  it('with npm start -w runtime', () => {
    expect(startScript('runtime')).toBe(['node', ...RUNTIME_NODE_FLAGS, 'dist/main.js'].join(' '));
  });

  it('in the benchmarks, before any flags of their own', () => {
    const model = { name: 'tiny', path: '/models/tiny.onnx' } as BenchModel;
    const spec = ourRuntimeSpec({
      model,
      port: 8080,
      batching: true,
      logFile: '/dev/null',
      nodeArgs: ['--cpu-prof'],
    });
    expect(spec.args.slice(0, RUNTIME_NODE_FLAGS.length + 1)).toEqual([
      ...RUNTIME_NODE_FLAGS,
      '--cpu-prof',
    ]);
  });
});
