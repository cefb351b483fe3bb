/**
 * The rises a shadow causes, each taken against the cell without a shadow of the same round
 * (p99 at c=64 moves by a third between neighbouring minutes on a shared machine, so only
 * ratios within a round compare), to be summarised by their median and its 95 % interval
 * (median-interval.ts). Shared by run.ts and pooled.ts, which pools several runs' rounds.
 */

/** The fields of a results row (run.ts's Row) that the rises are taken from. */
export interface PairedRow {
  readonly round: number;
  readonly runtime: string;
  readonly percent: number;
  readonly connections: number;
  readonly result: { readonly rps: number; readonly p50Ms: number; readonly p99Ms: number };
  readonly cpu: { readonly stableUsPerRequest: number };
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
