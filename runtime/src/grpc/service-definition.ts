import { fileURLToPath } from 'node:url';
import { loadSync, type PackageDefinition } from '@grpc/proto-loader';
import type { ServiceDefinition } from '@grpc/grpc-js';

/** The .proto ships beside dist/ in the image (Dockerfile.runtime copies runtime/proto). */
export const PROTO_PATH = fileURLToPath(
  new URL('../../proto/grpc_predict_v2.proto', import.meta.url),
);

export const SERVICE_NAME = 'inference.GRPCInferenceService';

/**
 * How messages appear in JavaScript: proto field names (snake_case, as tritonclient and the
 * V2 spec spell them), int64 as number (the JSON side's range, Number.MAX_SAFE_INTEGER),
 * every field present (empty lists instead of undefined), the set oneof member named.
 */
export const LOADER_OPTIONS = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
} as const;

export function loadInferencePackage(): PackageDefinition {
  return loadSync(PROTO_PATH, LOADER_OPTIONS);
}

export function inferenceServiceDefinition(
  definition: PackageDefinition = loadInferencePackage(),
): ServiceDefinition {
  return definition[SERVICE_NAME] as ServiceDefinition;
}
