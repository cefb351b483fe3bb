import { metricsText, sumSeries } from './metrics-text.js';

/** Rows and session runs a runtime has counted in its modeldeploy_batch_size histogram so far. */
export interface BatchTotals {
  readonly rows: number;
  readonly runs: number;
}

/** Reads them from the runtime's /metrics on loopback (zero for a runtime without the metric). */
export async function batchTotals(port: number): Promise<BatchTotals> {
  const text = await metricsText(port);
  return {
    rows: sumSeries(text, 'modeldeploy_batch_size_sum'),
    runs: sumSeries(text, 'modeldeploy_batch_size_count'),
  };
}
