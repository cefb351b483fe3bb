import { describe, expect, it } from 'vitest';
import { parseCliArgs } from './cli-args.js';

describe('parseCliArgs', () => {
  it('reads the verb, the name and kubectl-style flags in any order', () => {
    const args = parseCliArgs([
      '-n',
      'ml',
      'get',
      'iris',
      '--context',
      'kind-dev',
      '--kubeconfig',
      '/k',
    ]);
    expect(args).toMatchObject({
      verb: 'get',
      name: 'iris',
      flags: { namespace: 'ml', context: 'kind-dev', kubeconfig: '/k' },
    });
  });

  it('reads durations for watch and the request file for predict', () => {
    expect(parseCliArgs(['watch', 'x', '--timeout', '5m', '--interval', '1s'])).toMatchObject({
      timeoutSeconds: 300,
      intervalSeconds: 1,
    });
    expect(parseCliArgs(['predict', 'x', '-f', 'r.json', '--version', '2'])).toMatchObject({
      file: 'r.json',
      version: '2',
    });
  });

  it('gives help without a name, and overall help without a verb', () => {
    expect(parseCliArgs(['promote', '--help'])).toMatchObject({ verb: 'promote', help: true });
    expect(parseCliArgs([])).toMatchObject({ verb: 'help' });
  });

  it('refuses unknown verbs and flags, a missing name, a missing request and bad durations', () => {
    expect(() => parseCliArgs(['frob', 'x'])).toThrow(/unknown command "frob"/);
    expect(() => parseCliArgs(['get', 'x', '--bogus'])).toThrow(/bogus/);
    expect(() => parseCliArgs(['get'])).toThrow(/needs the ModelDeployment's name/);
    expect(() => parseCliArgs(['predict', 'x'])).toThrow(/-f request.json/);
    expect(() => parseCliArgs(['watch', 'x', '--timeout', 'soon'])).toThrow(
      /--timeout must be a duration/,
    );
  });
});
