/** Rows and session runs a runtime has counted in its modeldeploy_batch_size histogram so far. */
export interface BatchTotals {
  readonly rows: number;
  readonly runs: number;
}

/** Reads them from the runtime's /metrics on loopback (zero for a runtime without the metric). */
export async function batchTotals(port: number): Promise<BatchTotals> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const sum = (suffix: string): number => {
    let total = 0;
    for (const line of text.split('\n')) {
      const name = `modeldeploy_batch_size_${suffix}`;
      if (line.startsWith(`${name}{`) || line.startsWith(`${name} `))
        total += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return total;
  };
  return { rows: sum('sum'), runs: sum('count') };
}
