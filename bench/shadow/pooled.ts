/**
 * The rises at 10 % (or --percent) over the rounds of several bench/shadow runs of the same
 * code together: one run's 24 rounds leave the median p99 rise's 95 % interval about 30
 * points wide on this machine; pooling runs narrows it without a longer run of one set of
 * processes. Each round is still compared only with its own run's cell without a shadow.
 *
 * The rounds of one set of processes (run.ts --restart-every) are not independent: a slow
 * process stays slow for its set. --unit set (the default) takes each set's median rise as
 * one value, so the interval counts sets, not rounds; --unit round counts rounds.
 *
 *   node --import tsx bench/shadow/pooled.ts bench/results/shadow-A.json bench/results/shadow-B.json
 *        [--runtime current] [--percent 10] [--connections 64] [--unit set|round]
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { median } from '../lib/percentile.js';
import { formatMedian, summariseMedian } from '../lib/median-interval.js';
import { roundRises, type Measure, type PairedRow } from './round-pairs.js';

const { values: args, positionals: files } = parseArgs({
  allowPositionals: true,
  options: {
    runtime: { type: 'string', default: 'current' },
    percent: { type: 'string', default: '10' },
    connections: { type: 'string', default: '64' },
    unit: { type: 'string', default: 'set' },
  },
});

interface Results {
  readonly rows: PairedRow[];
  /** Rounds per set of processes; runs before run.ts had --restart-every used one set. */
  readonly restartEvery?: number;
  readonly rounds: number;
}

/** A run's rises, one per round, or one per set of processes (the median of its rounds). */
function risesOf(run: Results, measure: Measure): number[] {
  const percent = Number(args.percent);
  const connections = Number(args.connections);
  const perRound = (rows: readonly PairedRow[]): number[] =>
    roundRises(rows, measure, args.runtime, percent, connections);
  if (args.unit === 'round') return perRound(run.rows);
  const size = run.restartEvery ?? run.rounds;
  const rises: number[] = [];
  for (let first = 0; first < run.rounds; first += size) {
    const inSet = run.rows.filter((r) => r.round >= first && r.round < first + size);
    const setRises = perRound(inSet);
    if (setRises.length > 0) rises.push(median(setRises));
  }
  return rises;
}

async function main(): Promise<void> {
  if (files.length === 0) throw new Error('usage: pooled.ts RESULTS.json [RESULTS.json …]');
  if (args.unit !== 'set' && args.unit !== 'round')
    throw new Error(`--unit must be set or round, not ${args.unit}`);
  const runs = await Promise.all(
    files.map(async (file) => JSON.parse(await readFile(file, 'utf8')) as Results),
  );
  const lines = (['p99', 'p50', 'cpu', 'rps'] as Measure[]).map((measure) => {
    const rises = runs.flatMap((run) => risesOf(run, measure));
    return `${measure} rise: ${formatMedian(summariseMedian(rises))}`;
  });
  process.stdout.write(
    `${args.runtime} at ${args.percent} % against no shadow, c=${args.connections}, ${files.length} runs, one value per ${args.unit}:\n${lines.join('\n')}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
