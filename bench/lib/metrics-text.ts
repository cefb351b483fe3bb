/** A runtime's /metrics text (Prometheus exposition format), on loopback. */
export async function metricsText(port: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}

/**
 * The sum of the samples of one series name (e.g. `modeldeploy_batch_size_sum`) over its
 * label sets, or only those whose labels contain `labelText` (e.g. `kind="minor"`); 0 when
 * the runtime has no such series.
 */
export function sumSeries(text: string, name: string, labelText?: string): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (labelText !== undefined && !line.slice(0, line.lastIndexOf(' ')).includes(labelText))
      continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}
