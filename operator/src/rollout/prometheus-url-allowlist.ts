/**
 * spec.canary.analysis.prometheusUrl is chosen by whoever may edit a ModelDeployment, and the
 * operator fetches it from its own network position (a server-side request). The operator
 * therefore queries only URLs its administrator allowed (ANALYSIS_PROMETHEUS_URLS, chart
 * value analysis.allowedPrometheusUrls). Nothing allowed means every URL is refused.
 */

/** An allow-list entry that permits every URL; an administrator has to write it explicitly. */
export const ALLOW_ANY_PROMETHEUS_URL = '*';

/** Splits ANALYSIS_PROMETHEUS_URLS (comma- or whitespace-separated) into entries. */
export function parsePrometheusAllowList(text: string | undefined): string[] {
  return (text ?? '')
    .split(/[\s,]+/)
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
}

/** Entries that are neither `*` nor an absolute http(s) URL; start-up refuses them. */
export function invalidAllowListEntries(allowList: readonly string[]): string[] {
  return allowList.filter(
    (entry) => entry !== ALLOW_ANY_PROMETHEUS_URL && parseHttpUrl(entry) === undefined,
  );
}

function parseHttpUrl(text: string): URL | undefined {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

/** `/prometheus` covers `/prometheus` and `/prometheus/…`, never `/prometheus-other`. */
function pathCovered(entryPath: string, path: string): boolean {
  const prefix = entryPath.replace(/\/+$/, '');
  return prefix === '' || path === prefix || path.startsWith(`${prefix}/`);
}

function entryAllows(entry: string, url: URL): boolean {
  if (entry === ALLOW_ANY_PROMETHEUS_URL) return true;
  const allowed = parseHttpUrl(entry);
  if (allowed === undefined) return false;
  // Compared after URL parsing: case, default ports and dot segments are normalised, so
  // `http://PROM:80/a/../b` is judged as `http://prom/b`, and `http://prom@evil` has host evil.
  return (
    allowed.protocol === url.protocol &&
    allowed.host === url.host &&
    allowed.username === url.username &&
    allowed.password === url.password &&
    pathCovered(allowed.pathname, url.pathname)
  );
}

/**
 * Whether the operator may query `url`. An entry is an exact URL or a URL prefix: same
 * scheme, host and port, and the URL's path equals the entry's path or lies below it.
 * Query strings and fragments play no part (the client drops them).
 */
export function prometheusUrlAllowed(url: string, allowList: readonly string[]): boolean {
  const parsed = parseHttpUrl(url);
  return parsed !== undefined && allowList.some((entry) => entryAllows(entry, parsed));
}
