/**
 * Prints the summary of one `npm test` and exits non-zero when the run must not count as
 * green (test/support/run-summary.ts says when).
 *
 * Usage: tsx test/support/print-run-summary.ts [--filtered] [--problems FILE]
 *          [--exit NAME=CODE]... REPORT...
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { RunReport } from './run-report-format.js';
import { summarize } from './run-summary.js';

const MINIMUMS_FILE = 'test/minimum-tests.json';

interface MinimumsFile {
  readonly minimums: Record<string, number>;
}

function readReport(path: string, problems: string[]): RunReport | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as RunReport;
  } catch (error) {
    problems.push(
      `no run report at ${path} (${(error as Error).message}): vitest stopped before its reporters ran; its output above says why`,
    );
    return undefined;
  }
}

function readProblems(path: string | undefined): string[] {
  if (path === undefined || !existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '');
}

/** `--exit NAME=CODE`, once per vitest invocation. */
function parseExitCodes(pairs: readonly string[]): Record<string, number> {
  const codes: Record<string, number> = {};
  for (const pair of pairs) {
    const [name = '', code = ''] = pair.split('=');
    codes[name] = Number(code);
  }
  return codes;
}

function main(): number {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      filtered: { type: 'boolean', default: false },
      problems: { type: 'string' },
      exit: { type: 'string', multiple: true, default: [] },
    },
  });
  const problems = readProblems(values.problems);
  const reports = positionals
    .map((path) => readReport(path, problems))
    .filter((r): r is RunReport => r !== undefined);
  const minimums = (JSON.parse(readFileSync(MINIMUMS_FILE, 'utf8')) as MinimumsFile).minimums;
  const summary = summarize({
    reports,
    minimums,
    filtered: values.filtered,
    ci: process.env['CI'] === 'true',
    problems,
    exitCodes: parseExitCodes(values.exit),
  });
  console.log(`\n${summary.table.join('\n')}`);
  if (summary.problems.length > 0) {
    console.log(`\nthe run is not green:\n${summary.problems.map((p) => `  - ${p}`).join('\n')}`);
  }
  console.log(`\n${summary.closing}`);
  return summary.ok ? 0 : 1;
}

process.exitCode = main();
