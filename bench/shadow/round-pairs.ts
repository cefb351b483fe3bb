/**
 * The rises a shadow causes, each taken against the cell without a shadow of the same round
 * (p99 at c=64 moves by a third between neighbouring minutes on a shared machine, so only
 * ratios within a round compare), summarised by their median and its 95 % interval
 * (median-interval.ts). Shared by run.ts and pooled.ts, which pools several runs' rounds.
 */
import { medianInterval, type MedianInterval } from '../lib/median-interval.js';
import { median } from '../lib/percentile.js';

/** The fields of a results row (run.ts's Row) that the rises are taken from. */
export interface PairedRow {
  readonly round: number;
  readonly runtime: string;
  readonly percent: number;
  readonly connections: number;
  readonly result: { readonly rps: number; readonly p50Ms: number; readonly p99Ms: number };
  readonly cpu: { readonly stableUsPerRequest: number };
}

export interface Rise {
  readonly median: number;
  readonly interval: MedianInterval | undefined;
  readonly pairs: number;
}

export type Measure = 'p99' | 'p50' | 'cpu' | 'rps';

const VALUE: Record<Measure, (row: PairedRow) => number> = {
  p99: (r) => r.result.p99Ms,
  p50: (r) => r.result.p50Ms,
  cpu: (r) => r.cpu.stableUsPerRequest,
  rps: (r) => r.result.rps,
};

/** Each round's ratio minus one of `runtime` at `percent` to the same round's cell at 0 %. */
export function roundRises(
  rows: readonly PairedRow[],
  measure: Measure,
  runtime: string,
  percent: number,
  connections: number,
): number[] {
  const value = VALUE[measure];
  const rises: number[] = [];
  for (const row of rows) {
    if (row.runtime !== runtime || row.percent !== percent || row.connections !== connections)
      continue;
    const none = rows.find(
      (r) => r.round === row.round && r.percent === 0 && r.connections === connections,
    );
    if (none !== undefined) rises.push(value(row) / value(none) - 1);
  }
  return rises;
}

export function summarise(rises: readonly number[]): Rise {
  return { median: median(rises), interval: medianInterval(rises), pairs: rises.length };
}

/** "+1.2 %" */
export function pct(n: number): string {
  return `${n >= 0 ? '+' : ''}${(n * 100).toFixed(1)} %`;
}

/** "+0.7 % (97.7 % interval −9.5 … +21.8 %, 24 values)" */
export function formatRise(rise: Rise): string {
  const interval =
    rise.interval === undefined
      ? 'too few rounds for an interval'
      : `${Math.round(rise.interval.level * 1000) / 10} % interval ${pct(rise.interval.low)} … ${pct(rise.interval.high)}`;
  return `${pct(rise.median)} (${interval}, ${rise.pairs} values)`;
}
