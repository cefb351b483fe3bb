import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'modeldeploy-teardown-probe-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface ProbeRun {
  readonly status: number | null;
  readonly output: string;
  readonly problems: string;
}

/** Runs the probe project in a fresh vitest process, as scripts/test.sh runs a project. */
function runProbe(guarded: boolean): ProbeRun {
  const problemsFile = join(dir, guarded ? 'guarded' : 'bare');
  // The parent vitest's worker variables would make the child think it is a worker.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('VITEST')),
  );
  const result = spawnSync(
    process.execPath,
    [
      'node_modules/vitest/vitest.mjs',
      'run',
      '--config',
      'test/fixtures/teardown-probe/vitest.config.ts',
    ],
    {
      encoding: 'utf8',
      env: { ...env, PROBE_GUARD: guarded ? '1' : '0', MODELDEPLOY_RUN_PROBLEMS: problemsFile },
      timeout: 60_000,
    },
  );
  let problems = '';
  try {
    problems = readFileSync(problemsFile, 'utf8');
  } catch {
    problems = '';
  }
  return { status: result.status, output: result.stdout + result.stderr, problems };
}

describe('a globalSetup teardown that finds a leak', () => {
  it('is only logged by vitest itself, which still exits 0 (why the guard exists)', () => {
    const run = runProbe(false);
    expect(run.output).toContain('probe leak');
    expect(run.status).toBe(0);
  });

  it('fails the run through guardTeardown: exit code and a problem line for the summary', () => {
    const run = runProbe(true);
    expect(run.output).toContain('probe leak');
    expect(run.status).toBe(1);
    expect(run.problems).toContain('teardown of the probe failed: probe leak');
  });
});
