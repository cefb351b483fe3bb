/** Marks a mirrored request, so a runtime that receives one never mirrors it again. */
export const SHADOW_MARKER_HEADER = 'x-modeldeploy-shadow';

/** Carries the deployment's shadow token (SHADOW_TOKEN_FILE) with a copy. */
export const SHADOW_TOKEN_HEADER = 'x-modeldeploy-shadow-token';

/**
 * Headers the shadow does not get. Credentials stay with the pod the user sent them to (the
 * mirror authenticates with the deployment's own key instead); hop-by-hop and body-framing
 * headers describe the user's connection and body encoding, not the decoded body the mirror
 * sends; the answer is wanted uncompressed.
 */
const DROPPED = new Set([
  'authorization',
  'proxy-authorization',
  'x-api-key',
  SHADOW_TOKEN_HEADER,
  'cookie',
  'host',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'content-length',
  'content-encoding',
  'accept-encoding',
  'expect',
]);

/** The user's headers for the mirror: credentials and framing out, the marker in. */
export function mirrorHeaders(
  incoming: Readonly<Record<string, string | string[] | undefined>>,
  apiKey: string | undefined,
  shadowToken?: string | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(incoming)) {
    const lower = name.toLowerCase();
    if (value === undefined || DROPPED.has(lower) || lower.startsWith('proxy-')) continue;
    out[lower] = Array.isArray(value) ? value.join(', ') : value;
  }
  out[SHADOW_MARKER_HEADER] = '1';
  out['accept-encoding'] = 'identity';
  if (apiKey !== undefined) out['x-api-key'] = apiKey;
  if (shadowToken !== undefined) out[SHADOW_TOKEN_HEADER] = shadowToken;
  return out;
}

/**
 * The path on the shadow: the user's, minus a V2 version segment, which names the stable
 * model's version and would be a 404 on the shadow's.
 */
export function mirrorPath(url: string): string {
  return url.replace(/^(\/v2\/models\/[^/?]+)\/versions\/[^/?]+\/infer/, '$1/infer');
}
