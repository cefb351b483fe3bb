// Prints vitest's JSON report as one line a person or CI can read at a glance:
//   vitest: 312 passed, 0 failed, 4 skipped
import { readFileSync } from 'node:fs';

const path = process.argv[2];
let report;
try {
  report = JSON.parse(readFileSync(path, 'utf8'));
} catch (err) {
  console.error(`no vitest report at ${path}: ${err}`);
  console.log('vitest: 0 passed, 1 failed');
  process.exit(1);
}
const passed = report.numPassedTests ?? 0;
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
// A file that fails before any test runs (import error, failing hook) has no failed
// assertion; count it as one failure so it cannot hide.
let brokenFiles = 0;
for (const file of report.testResults ?? []) {
  if (
    file.status === 'failed' &&
    (file.assertionResults ?? []).every((a) => a.status !== 'failed')
  ) {
    brokenFiles++;
    console.error(`suite failed to run: ${file.name}: ${(file.message ?? '').split('\n')[0]}`);
  }
}
const failed = (report.numFailedTests ?? 0) + brokenFiles;
console.log(`\nvitest: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || report.success === false ? 1 : 0);
