/**
 * Tracing's extra CPU per request over several same-process.ts runs of the same code together.
 * A process is the independent unit (its rounds share its JIT state and heap), and one run of
 * six processes leaves the median's 95 % interval wide on this machine: one process in six
 * can land 10 points from the rest. Each value is a process's median over its own pairs.
 *
 *   node --import tsx bench/observability/pooled.ts bench/results/observability-same-process-A.json …
 */
import { readFile } from 'node:fs/promises';
import { formatMedian, signedPct, summariseMedian } from '../lib/median-interval.js';

interface Results {
  readonly summaries: readonly { readonly model: string; readonly extraCpuByProcess: number[] }[];
}

async function main(): Promise<void> {
  const files = process.argv.slice(2);
  if (files.length === 0) throw new Error('usage: pooled.ts RESULTS.json [RESULTS.json …]');
  const runs = await Promise.all(
    files.map(async (file) => JSON.parse(await readFile(file, 'utf8')) as Results),
  );
  const models = [...new Set(runs.flatMap((r) => r.summaries.map((s) => s.model)))];
  for (const model of models) {
    const values = runs.flatMap(
      (r) => r.summaries.find((s) => s.model === model)?.extraCpuByProcess ?? [],
    );
    const sorted = [...values].sort((x, y) => x - y).map(signedPct);
    process.stdout.write(
      `${model}: ${files.length} runs, ${values.length} processes: median extra CPU ${formatMedian(summariseMedian(values))}\n` +
        `  by process, sorted: ${sorted.join(', ')}\n`,
    );
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
