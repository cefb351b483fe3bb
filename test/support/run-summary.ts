/**
 * Turns the run reports of one `npm test` into the table and the closing line a person or
 * CI reads, and decides whether the run passed. A run passes only when every project ran
 * at least its recorded number of tests, nothing failed or was left unfinished, no
 * run-level problem (teardown error, leaked process) was recorded and, under CI, nothing
 * was skipped: a suite that cannot run on a CI machine is a failure, not a footnote.
 */
import type { ReportedModule, RunReport } from './run-report-format.js';

export interface ProjectCount {
  passed: number;
  failed: number;
  skipped: number;
  /** Tests the run ended before finishing ("pending"), and files that never finished. */
  unfinished: number;
  /** Files that failed outside any test (import error, failing hook). */
  brokenFiles: number;
  skippedNames: string[];
}

export interface SummaryInput {
  readonly reports: readonly RunReport[];
  /** Recorded minimum of tests (passed + failed) per project. */
  readonly minimums: Readonly<Record<string, number>>;
  /** A run narrowed by arguments (a project, a file): minimums do not apply. */
  readonly filtered: boolean;
  readonly ci: boolean;
  /** Run-level problems found outside vitest (teardown errors, leftovers). */
  readonly problems: readonly string[];
  /** Exit code of each vitest invocation, by name; optional. */
  readonly exitCodes?: Readonly<Record<string, number>>;
}

export interface Summary {
  readonly table: readonly string[];
  readonly problems: readonly string[];
  /** `vitest: N passed, N failed, N skipped`; every problem counts as one failure. */
  readonly closing: string;
  readonly ok: boolean;
}

function emptyCount(): ProjectCount {
  return { passed: 0, failed: 0, skipped: 0, unfinished: 0, brokenFiles: 0, skippedNames: [] };
}

function addModule(count: ProjectCount, module: ReportedModule, problems: string[]): void {
  for (const test of module.tests) {
    if (test.state === 'passed') count.passed++;
    else if (test.state === 'failed') count.failed++;
    else if (test.state === 'skipped') {
      count.skipped++;
      count.skippedNames.push(`${module.file}: ${test.name}`);
    } else count.unfinished++;
  }
  if (module.state === 'queued' || module.state === 'pending') {
    problems.push(`${module.project}: ${module.file} never finished (run interrupted?)`);
  } else if (module.errors.length > 0 && module.tests.every((t) => t.state !== 'failed')) {
    count.brokenFiles++;
    problems.push(
      `${module.project}: ${module.file} failed outside its tests: ${firstLine(module.errors[0])}`,
    );
  }
}

function firstLine(text: string | undefined): string {
  return (text ?? '').split('\n')[0] ?? '';
}

export function countByProject(
  reports: readonly RunReport[],
  problems: string[],
): Map<string, ProjectCount> {
  const counts = new Map<string, ProjectCount>();
  for (const report of reports) {
    for (const module of report.modules) {
      const count = counts.get(module.project) ?? emptyCount();
      counts.set(module.project, count);
      addModule(count, module, problems);
    }
  }
  return counts;
}

function runProblems(reports: readonly RunReport[]): string[] {
  const problems: string[] = [];
  for (const report of reports) {
    for (const error of report.unhandledErrors)
      problems.push(`unhandled error: ${firstLine(error)}`);
    if (report.reason === 'interrupted') problems.push('vitest reported the run as interrupted');
  }
  return problems;
}

function minimumProblems(input: SummaryInput, counts: Map<string, ProjectCount>): string[] {
  const problems: string[] = [];
  if (input.filtered) return problems;
  const expected = new Set(counts.keys());
  for (const project of Object.keys(input.minimums)) expected.add(project);
  for (const project of expected) {
    const minimum = input.minimums[project];
    if (minimum === undefined) {
      problems.push(
        `project ${project} has no recorded minimum: add it to test/minimum-tests.json`,
      );
      continue;
    }
    const count = counts.get(project) ?? emptyCount();
    const ran = count.passed + count.failed;
    if (ran < minimum) {
      problems.push(
        `project ${project} ran ${ran} tests, fewer than its recorded minimum ${minimum} (test/minimum-tests.json): a suite skipped, failed to load or stopped matching the project's include pattern`,
      );
    }
  }
  return problems;
}

function ciSkipProblems(counts: Map<string, ProjectCount>): string[] {
  const problems: string[] = [];
  for (const [project, count] of counts) {
    if (count.skipped === 0) continue;
    // One entry per suite: its title carries the reason it gave for skipping.
    const suites = [...new Set(count.skippedNames.map((n) => n.split(' > ')[0] ?? n))];
    problems.push(
      `under CI nothing may be skipped; ${project} skipped ${count.skipped} tests in: ${suites.join('; ')}`,
    );
  }
  return problems;
}

function tableOf(
  counts: Map<string, ProjectCount>,
  minimums: Readonly<Record<string, number>>,
): string[] {
  const header = ['project', 'passed', 'failed', 'skipped', 'unfinished', 'minimum'];
  const rows = [...counts.entries()].map(([project, c]) => [
    project,
    String(c.passed),
    String(c.failed + c.brokenFiles),
    String(c.skipped),
    String(c.unfinished),
    String(minimums[project] ?? '-'),
  ]);
  return [header, ...rows].map((cells) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(12) : cell.padStart(11))).join(''),
  );
}

export function summarize(input: SummaryInput): Summary {
  const problems: string[] = [];
  const counts = countByProject(input.reports, problems);
  problems.push(...runProblems(input.reports));
  problems.push(...minimumProblems(input, counts));
  if (input.ci) problems.push(...ciSkipProblems(counts));
  problems.push(...input.problems);
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const c of counts.values()) {
    passed += c.passed;
    failed += c.failed + c.unfinished;
    skipped += c.skipped;
  }
  // Broken and unfinished files are already among the problems; count each problem once.
  failed += problems.length;
  if (failed === 0) {
    // vitest knows of a failure none of the above shows: the run is still not green.
    for (const [name, code] of Object.entries(input.exitCodes ?? {})) {
      if (code === 0) continue;
      problems.push(`vitest (${name}) exited ${code} although no test failed; its output says why`);
      failed++;
    }
  }
  return {
    table: tableOf(counts, input.minimums),
    problems,
    closing: `vitest: ${passed} passed, ${failed} failed, ${skipped} skipped`,
    ok: failed === 0,
  };
}
