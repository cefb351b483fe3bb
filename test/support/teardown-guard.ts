/**
 * vitest 4 logs an error thrown by a globalSetup teardown ("error during close") and still
 * exits 0, so a leak found at teardown (a mount, the bridge, an iptables chain, a
 * container, a process) would leave the run green. Wrapping each teardown makes such an
 * error fail the run twice over: vitest's exit code, and a line in the run's problem file
 * (MODELDEPLOY_RUN_PROBLEMS, set by scripts/test.sh) that the summary counts as a failure.
 */
import { appendFileSync } from 'node:fs';

export function recordRunProblem(problem: string): void {
  process.exitCode = 1;
  const file = process.env['MODELDEPLOY_RUN_PROBLEMS'];
  if (file !== undefined && file !== '') {
    appendFileSync(file, `${problem.replace(/\s*\n\s*/g, ' | ')}\n`);
  }
}

export function guardTeardown(what: string, teardown: () => Promise<void>): () => Promise<void> {
  return async () => {
    try {
      await teardown();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      recordRunProblem(`teardown of ${what} failed: ${message}`);
      throw error;
    }
  };
}
