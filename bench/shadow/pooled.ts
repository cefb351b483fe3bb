/**
 * The rises at 10 % (or --percent) over the rounds of several bench/shadow runs of the same
 * code together: one run's 24 rounds leave the median p99 rise's 95 % interval about 30
 * points wide on this machine; pooling runs narrows it without a longer run of one set of
 * processes. Each round is still compared only with its own run's cell without a shadow.
 *
 *   node --import tsx bench/shadow/pooled.ts bench/results/shadow-A.json bench/results/shadow-B.json
 *        [--runtime current] [--percent 10] [--connections 64]
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { formatRise, roundRises, summarise, type Measure, type PairedRow } from './round-pairs.js';

const { values: args, positionals: files } = parseArgs({
  allowPositionals: true,
  options: {
    runtime: { type: 'string', default: 'current' },
    percent: { type: 'string', default: '10' },
    connections: { type: 'string', default: '64' },
  },
});

async function main(): Promise<void> {
  if (files.length === 0) throw new Error('usage: pooled.ts RESULTS.json [RESULTS.json …]');
  const runs = await Promise.all(
    files.map(
      async (file) => (JSON.parse(await readFile(file, 'utf8')) as { rows: PairedRow[] }).rows,
    ),
  );
  const percent = Number(args.percent);
  const connections = Number(args.connections);
  const lines = (['p99', 'p50', 'cpu', 'rps'] as Measure[]).map((measure) => {
    const rises = runs.flatMap((rows) =>
      roundRises(rows, measure, args.runtime, percent, connections),
    );
    return `${measure} rise: ${formatRise(summarise(rises))}`;
  });
  process.stdout.write(
    `${args.runtime} at ${percent} % against no shadow, c=${connections}, ${files.length} runs:\n${lines.join('\n')}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
