/**
 * What every load benchmark run does around its measurements: the shared flags, the
 * preamble (machine, load, commit, log directory), the goal and load lines of the report,
 * and the results file with the command that produced it.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { machineInfo, type MachineInfo } from './machine.js';
import { MODEL_KEYS, REPO_ROOT, type ModelKey } from './models.js';
import { wrkVersion } from './wrk.js';

/** The flags every load benchmark takes; spread into parseArgs beside the script's own. */
export const LOAD_FLAGS = {
  seconds: { type: 'string', default: '10' },
  warmup: { type: 'string', default: '2' },
  concurrency: { type: 'string', default: '1,16,64' },
  models: { type: 'string', default: MODEL_KEYS.join(',') },
  out: { type: 'string' },
  'no-build': { type: 'boolean', default: false },
} as const;

export interface LoadSettings {
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly concurrencies: readonly number[];
  readonly modelKeys: readonly ModelKey[];
}

export function loadSettings(values: {
  seconds: string;
  warmup: string;
  concurrency: string;
  models: string;
}): LoadSettings {
  return {
    seconds: Number(values.seconds),
    warmupSeconds: Number(values.warmup),
    concurrencies: values.concurrency.split(',').map(Number),
    modelKeys: values.models.split(',') as ModelKey[],
  };
}

/** A goal the benchmark's issue set, evaluated at the highest concurrency measured. */
export interface Goal {
  readonly goal: string;
  readonly value: number;
  readonly target: number;
  readonly met: boolean;
}

export function goalLine(g: Goal, show: (n: number) => string, relation = ''): string {
  return `goal: ${g.goal} = ${show(g.value)} (target ${relation}${show(g.target)}): ${g.met ? 'met' : 'NOT met'}`;
}

export function loadLine(loadAtStart: readonly number[], loadAtEnd: readonly number[]): string {
  return `load average: ${loadAtStart.join(' ')} at start, ${loadAtEnd.join(' ')} at end`;
}

export type Log = (message: string) => void;

/** Progress lines on stderr, so that stdout carries only the report. */
export function benchLog(benchmark: string): Log {
  return (message) =>
    process.stderr.write(
      `[bench/${benchmark} ${new Date().toISOString().slice(11, 19)}] ${message}\n`,
    );
}

export interface RunStart {
  readonly startedAt: string;
  readonly machine: MachineInfo;
  readonly wrk: string;
  /** Where the servers' logs go. */
  readonly logDir: string;
}

/** Creates the log directory and records and logs the machine the run starts on. */
export async function startRun(benchmark: string, log: Log): Promise<RunStart> {
  const logDir = join(tmpdir(), `md-bench-${benchmark}-${process.pid}`);
  await mkdir(logDir, { recursive: true });
  const startedAt = new Date().toISOString();
  const machine = await machineInfo();
  const wrk = await wrkVersion();
  log(`load average at start: ${machine.loadAtStart.join(' ')}; server logs in ${logDir}`);
  log(
    `commit ${machine.gitCommit}${machine.runtimeUncommittedChanges ? ' (runtime/ has uncommitted changes)' : ''}; ${machine.cores} cores, ${machine.cpuModel}`,
  );
  return { startedAt, machine, wrk, logDir };
}

/**
 * Writes the results as JSON (to `out`, or bench/results/<benchmark>-<start time>.json)
 * headed by the command that produced them; returns the path.
 */
export async function writeResults(
  benchmark: string,
  start: RunStart,
  out: string | undefined,
  body: Readonly<Record<string, unknown>>,
  /** The script, when it is not bench/<benchmark>/run.ts. */
  script = `bench/${benchmark}/run.ts`,
): Promise<string> {
  const path =
    out ??
    join(
      REPO_ROOT,
      'bench',
      'results',
      `${benchmark}-${start.startedAt.replace(/[:.]/g, '-')}.json`,
    );
  await mkdir(join(path, '..'), { recursive: true });
  const results = {
    benchmark,
    command: `node --import tsx ${script} ${process.argv.slice(2).join(' ')}`.trim(),
    startedAt: start.startedAt,
    finishedAt: new Date().toISOString(),
    ...body,
  };
  await writeFile(path, `${JSON.stringify(results, null, 2)}\n`);
  return path;
}
