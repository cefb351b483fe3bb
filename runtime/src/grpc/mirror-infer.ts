import type { Metadata } from '@grpc/grpc-js';
import { SHADOW_MARKER_HEADER } from '../shadow/mirror-request.js';
import type { ShadowMirror } from '../shadow/shadow-mirror.js';
import type { ModelInferRequest, ModelInferResponse } from './messages.js';
import { restCopyOf } from './rest-copy.js';
import { servedOutputs } from './served-outputs.js';

/**
 * Sends an answered ModelInfer to the shadow through the REST mirror: the shadow gets the
 * same question as a V2 REST request on its HTTP port, and its answer is compared with the
 * outputs the gRPC user got. Call only after the user's answer is handed to grpc-js.
 */
export function mirrorModelInfer(
  mirror: ShadowMirror,
  requestId: string,
  metadata: Metadata,
  request: ModelInferRequest,
  response: ModelInferResponse,
): void {
  // A copy is never copied again; checked before sampling, so copies use no samples.
  if (metadata.get(SHADOW_MARKER_HEADER).length > 0 || !mirror.pick()) return;
  const copy = restCopyOf(request);
  mirror.send({
    requestId,
    protocol: 'v2',
    url: `/v2/models/${encodeURIComponent(request.model_name)}/infer`,
    // mirrorHeaders (mirror-request.ts) drops the credentials among them.
    headers: { ...forwardedMetadata(metadata), 'x-request-id': requestId, ...copy.headers },
    body: copy.body,
    served: () => servedOutputs(response),
  });
}

/**
 * The user's text metadata, as the REST mirror forwards the user's headers (trace context,
 * request id); gRPC's own (grpc-*) and binary (-bin) entries mean nothing over HTTP.
 */
function forwardedMetadata(metadata: Metadata): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(metadata.getMap())) {
    if (typeof value === 'string' && !name.startsWith('grpc-') && !name.endsWith('-bin'))
      out[name] = value;
  }
  return out;
}
