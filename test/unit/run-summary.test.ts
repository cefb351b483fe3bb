import { describe, expect, it } from 'vitest';
import type { ReportedModule, ReportedTest, RunReport } from '../support/run-report-format.js';
import { summarize, type SummaryInput } from '../support/run-summary.js';

function test(name: string, state: ReportedTest['state']): ReportedTest {
  return { name, state, mode: state === 'skipped' ? 'skip' : 'run' };
}

function module(
  project: string,
  tests: ReportedTest[],
  extra: Partial<ReportedModule> = {},
): ReportedModule {
  const failed = tests.some((t) => t.state === 'failed');
  return {
    project,
    file: `test/${project}/a.test.ts`,
    state: failed ? 'failed' : 'passed',
    errors: [],
    tests,
    ...extra,
  };
}

function report(modules: readonly ReportedModule[], extra: Partial<RunReport> = {}): RunReport {
  return { reason: 'passed', unhandledErrors: [], modules, ...extra };
}

function input(reports: RunReport[], extra: Partial<SummaryInput> = {}): SummaryInput {
  return {
    reports,
    minimums: { unit: 2, e2e: 1 },
    filtered: false,
    ci: false,
    problems: [],
    ...extra,
  };
}

const green = report([
  module('unit', [test('a', 'passed'), test('b', 'passed')]),
  module('e2e', [test('c', 'passed')]),
]);

describe('run summary', () => {
  it('passes a run where every project met its minimum', () => {
    const summary = summarize(input([green]));
    expect(summary.ok).toBe(true);
    expect(summary.closing).toBe('vitest: 3 passed, 0 failed, 0 skipped');
    expect(summary.table.join('\n')).toMatch(/unit\s+2\s+0\s+0\s+0\s+2/);
  });

  it('fails a project that ran fewer tests than its minimum, even with nothing failed', () => {
    const skippedSuite = report([
      module('unit', [test('a', 'passed'), test('b', 'passed')]),
      module('e2e', [test('real node (skipped: no root) > serves', 'skipped')]),
    ]);
    const summary = summarize(input([skippedSuite]));
    expect(summary.ok).toBe(false);
    expect(summary.problems.join('\n')).toContain(
      'project e2e ran 0 tests, fewer than its recorded minimum 1',
    );
    expect(summary.closing).toBe('vitest: 2 passed, 1 failed, 1 skipped');
  });

  it('fails a project that vanished from the reports altogether', () => {
    const summary = summarize(
      input([report([module('unit', [test('a', 'passed'), test('b', 'passed')])])]),
    );
    expect(summary.ok).toBe(false);
    expect(summary.problems.join('\n')).toContain('project e2e ran 0 tests');
  });

  it('fails a project with no recorded minimum', () => {
    const extra = report([module('fresh', [test('x', 'passed')])]);
    const summary = summarize(input([green, extra]));
    expect(summary.problems.join('\n')).toContain('project fresh has no recorded minimum');
  });

  it('does not apply minimums to a run narrowed to a project or a file', () => {
    const oneFile = report([module('unit', [test('a', 'passed')])]);
    expect(summarize(input([oneFile], { filtered: true })).ok).toBe(true);
    expect(summarize(input([oneFile])).ok).toBe(false);
  });

  it('counts unfinished tests and files as failures, not skips', () => {
    const interrupted = report(
      [
        module('unit', [test('a', 'passed'), test('b', 'passed'), test('c', 'pending')], {
          state: 'pending',
        }),
        module('e2e', [test('c', 'passed')]),
      ],
      { reason: 'interrupted' },
    );
    const summary = summarize(input([interrupted]));
    expect(summary.ok).toBe(false);
    // the pending test, the file that never finished, the interrupted run
    expect(summary.closing).toBe('vitest: 3 passed, 3 failed, 0 skipped');
  });

  it('counts a file that failed outside its tests', () => {
    const broken = report([
      ...green.modules,
      module('unit', [], {
        file: 'test/unit/b.test.ts',
        state: 'failed',
        errors: ['Cannot find module x'],
      }),
    ]);
    const summary = summarize(input([broken]));
    expect(summary.problems.join('\n')).toContain('failed outside its tests: Cannot find module x');
    expect(summary.closing).toBe('vitest: 3 passed, 1 failed, 0 skipped');
  });

  it('fails on any skip under CI and names the skipped suite with its reason', () => {
    const withSkip = report([
      ...green.modules,
      module('e2e', [
        test('real node (skipped: cannot create a memory cgroup) > serves', 'skipped'),
      ]),
    ]);
    expect(summarize(input([withSkip])).ok).toBe(true);
    const ci = summarize(input([withSkip], { ci: true }));
    expect(ci.ok).toBe(false);
    expect(ci.problems.join('\n')).toContain('cannot create a memory cgroup');
  });

  it('fails on run-level problems such as a teardown error', () => {
    const summary = summarize(
      input([green], { problems: ['teardown of the cluster failed: mount left'] }),
    );
    expect(summary.ok).toBe(false);
    expect(summary.closing).toBe('vitest: 3 passed, 1 failed, 0 skipped');
  });

  it('fails when vitest exited non-zero although no test failed', () => {
    const summary = summarize(input([green], { exitCodes: { timing: 0, components: 1 } }));
    expect(summary.ok).toBe(false);
    expect(summary.problems.join('\n')).toContain('vitest (components) exited 1');
    expect(summarize(input([green], { exitCodes: { timing: 0 } })).ok).toBe(true);
  });

  it('counts unhandled errors', () => {
    const summary = summarize(input([report(green.modules, { unhandledErrors: ['boom'] })]));
    expect(summary.ok).toBe(false);
  });
});
