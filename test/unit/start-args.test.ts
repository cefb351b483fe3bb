import { describe, expect, it } from 'vitest';
import { parseStartArgs } from '../../scripts/local-up/start-args.js';

describe('npm start arguments', () => {
  it('without --context: the embedded cluster, never a kubeconfig context', () => {
    expect(parseStartArgs([])).toEqual({ kind: 'embedded', kwok: false, realNode: false });
    expect(parseStartArgs(['--kwok'])).toEqual({ kind: 'embedded', kwok: true, realNode: false });
  });

  it('--context NAME (or --context=NAME) targets that context with its options', () => {
    expect(parseStartArgs(['--context', 'kind-dev'])).toEqual({
      kind: 'context',
      context: 'kind-dev',
      imagesPresent: false,
      cleanup: false,
    });
    expect(
      parseStartArgs([
        '--context=prod-eu',
        '--kubeconfig',
        '/tmp/kc',
        '--registry',
        'ghcr.io/acme/',
        '--cleanup',
      ]),
    ).toEqual({
      kind: 'context',
      context: 'prod-eu',
      kubeconfig: '/tmp/kc',
      registry: 'ghcr.io/acme',
      imagesPresent: false,
      cleanup: true,
    });
  });

  it('refuses --context without a name rather than falling back to the current context', () => {
    expect(() => parseStartArgs(['--context'])).toThrow(/--context needs a value/);
    expect(() => parseStartArgs(['--context', '--cleanup'])).toThrow(/--context needs a value/);
    expect(() => parseStartArgs(['--context='])).toThrow(/--context needs a value/);
  });

  it('refuses options that only make sense with --context, and mixes of the two modes', () => {
    expect(() => parseStartArgs(['--cleanup'])).toThrow(/--cleanup applies only with --context/);
    expect(() => parseStartArgs(['--registry', 'r/x'])).toThrow(/only with --context/);
    expect(() => parseStartArgs(['--context', 'a', '--kwok'])).toThrow(
      /does not go with --context/,
    );
    expect(() => parseStartArgs(['--kwok', '--real-node'])).toThrow(/exclude each other/);
    expect(() => parseStartArgs(['--images-present'])).toThrow(/only with --context/);
    expect(() =>
      parseStartArgs(['--context', 'a', '--registry', 'r/x', '--images-present']),
    ).toThrow(/--registry and --images-present exclude each other/);
    expect(() => parseStartArgs(['--contxt', 'a'])).toThrow(
      /unknown argument --contxt[\s\S]*usage/,
    );
  });
});
