/**
 * A vitest reporter that writes what each project ran, test by test, to the file named by
 * MODELDEPLOY_RUN_REPORT. vitest's own JSON report has no project names, so it cannot say
 * that a whole project ran nothing; test/support/run-summary.ts reads this file instead.
 */
import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import type { Reporter, TestModule, TestRunEndReason } from 'vitest/node';
import type { SerializedError } from 'vitest';
import type { RunReport, ReportedModule } from './run-report-format.js';

function describeModule(module: TestModule, root: string): ReportedModule {
  const tests = [...module.children.allTests()].map((test) => ({
    name: test.fullName,
    state: test.result().state,
    mode: test.options.mode,
  }));
  return {
    project: module.project.name,
    file: relative(root, module.moduleId),
    state: module.state(),
    errors: module.errors().map((e) => e.message),
    tests,
  };
}

export default class RunReportReporter implements Reporter {
  onTestRunEnd(
    modules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<SerializedError>,
    reason: TestRunEndReason,
  ): void {
    const path = process.env['MODELDEPLOY_RUN_REPORT'];
    if (path === undefined || path === '') return;
    const report: RunReport = {
      reason,
      unhandledErrors: unhandledErrors.map((e) => e.message),
      modules: modules.map((m) => describeModule(m, process.cwd())),
    };
    writeFileSync(path, JSON.stringify(report, null, 1));
  }
}
