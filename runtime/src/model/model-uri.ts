import { isAbsolute, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where a model comes from: a file on this machine or a URL to download. */
export type ModelSource =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'http'; readonly url: string }
  | { readonly kind: 's3'; readonly bucket: string; readonly key: string }
  | { readonly kind: 'gs'; readonly bucket: string; readonly object: string };

/**
 * MODEL_URI forms: a path, `file:///abs/path`, `pvc://<claim>/<path>` (the operator mounts
 * the claim at `<pvcMountRoot>/<claim>`), `http://`, `https://`, `s3://<bucket>/<key>` and `gs://<bucket>/<object>`.
 */
export function resolveModelUri(uri: string, pvcMountRoot: string): ModelSource {
  if (/^https?:\/\//i.test(uri)) return { kind: 'http', url: uri };
  if (uri.startsWith('file://')) return { kind: 'file', path: fileURLToPath(uri) };
  if (uri.startsWith('pvc://')) return { kind: 'file', path: pvcPath(uri, pvcMountRoot) };
  if (uri.startsWith('s3://')) return s3Location(uri);
  if (uri.startsWith('gs://')) return gsLocation(uri);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri)) {
    throw new Error(
      `MODEL_URI '${uri}': unsupported scheme; use a path, file://, pvc://<claim>/<path>, http://, https://, s3://<bucket>/<key> or gs://<bucket>/<object>`,
    );
  }
  return { kind: 'file', path: isAbsolute(uri) ? uri : resolve(uri) };
}

function pvcPath(uri: string, root: string): string {
  const rest = uri.slice('pvc://'.length);
  const slash = rest.indexOf('/');
  const claim = slash === -1 ? rest : rest.slice(0, slash);
  const path = slash === -1 ? '' : rest.slice(slash + 1);
  if (claim.length === 0 || path.length === 0) {
    throw new Error(`MODEL_URI '${uri}': expected pvc://<claim>/<path to the model in the claim>`);
  }
  const claimRoot = join(root, claim);
  const full = normalize(join(claimRoot, path));
  if (!full.startsWith(`${claimRoot}/`)) {
    throw new Error(`MODEL_URI '${uri}': the path leaves the claim's mount ${claimRoot}`);
  }
  return full;
}

function s3Location(uri: string): ModelSource {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!match?.[1] || !match[2]) {
    throw new Error(`MODEL_URI '${uri}': expected s3://<bucket>/<key of the .onnx file>`);
  }
  return { kind: 's3', bucket: match[1], key: match[2] };
}

function gsLocation(uri: string): ModelSource {
  const match = /^gs:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!match?.[1] || !match[2]) {
    throw new Error(`MODEL_URI '${uri}': expected gs://<bucket>/<object name of the .onnx file>`);
  }
  return { kind: 'gs', bucket: match[1], object: match[2] };
}
