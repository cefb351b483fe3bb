/** Small fetch wrappers for talking to a container through its loopback-mapped port. */

export interface JsonResponse {
  readonly status: number;
  readonly body: unknown;
}

export async function postJson(url: string, body: unknown): Promise<JsonResponse> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  return { status: res.status, body: text.length > 0 ? (JSON.parse(text) as unknown) : undefined };
}

/** The value of a Prometheus gauge or counter from GET /metrics (the first series of it). */
export async function readMetric(baseUrl: string, name: string): Promise<number | undefined> {
  const res = await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(5_000) });
  const series = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(await res.text());
  return series?.[1] === undefined ? undefined : Number(series[1]);
}

/** Polls until `predicate` holds, at most `timeoutMs`; bounded so a broken server fails fast. */
export async function waitFor(
  what: string,
  predicate: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
