/** The file test/support/run-report.ts writes and test/support/run-summary.ts reads. */

export interface ReportedTest {
  /** Suite titles and test title, joined by " > ". */
  readonly name: string;
  /** vitest's TestCase state: "pending" means the run ended before the test finished. */
  readonly state: 'passed' | 'failed' | 'skipped' | 'pending';
  readonly mode: 'run' | 'only' | 'skip' | 'todo';
}

export interface ReportedModule {
  readonly project: string;
  /** Path relative to the repository root. */
  readonly file: string;
  readonly state: 'queued' | 'pending' | 'passed' | 'failed' | 'skipped';
  /** Errors of the file itself (import error, failing beforeAll/afterAll). */
  readonly errors: readonly string[];
  readonly tests: readonly ReportedTest[];
}

export interface RunReport {
  readonly reason: 'passed' | 'interrupted' | 'failed';
  readonly unhandledErrors: readonly string[];
  readonly modules: readonly ReportedModule[];
}
