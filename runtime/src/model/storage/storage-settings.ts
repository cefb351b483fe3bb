/**
 * How the runtime reaches remote model stores: the MODEL_* storage variables the operator
 * sets from spec.model.credentials and spec.model.storage. Secrets are named by file (a
 * mounted Secret), never carried in a variable; AWS keys are the exception the SDK defines
 * (AWS_ACCESS_KEY_ID etc.), which the operator sets from secretKeyRef, never in clear.
 * A GCS service account key is a mounted file too (MODEL_GCS_CREDENTIALS_FILE).
 */
export interface StorageSettings {
  /** The cache volume's sizeLimit in bytes; a larger model is refused before its download. */
  readonly cacheSizeLimitBytes: number | undefined;
  /** PEM bundle trusted for https:// and a custom S3 endpoint, besides the public roots. */
  readonly caBundleFile: string | undefined;
  readonly http: {
    readonly bearerTokenFile: string | undefined;
    readonly usernameFile: string | undefined;
    readonly passwordFile: string | undefined;
  };
  readonly s3: {
    readonly endpoint: string | undefined;
    readonly region: string | undefined;
    readonly forcePathStyle: boolean;
  };
  readonly gcs: {
    /** A service account key file; unset, the ambient credentials (workload identity, ADC). */
    readonly credentialsFile: string | undefined;
    readonly endpoint: string | undefined;
  };
}

/** The env variables storageSettings reads, as env-schema.ts parses them. */
export interface StorageEnv {
  readonly MODEL_CACHE_SIZE_LIMIT_BYTES?: number | undefined;
  readonly MODEL_CA_BUNDLE_FILE?: string | undefined;
  readonly MODEL_HTTP_BEARER_TOKEN_FILE?: string | undefined;
  readonly MODEL_HTTP_USERNAME_FILE?: string | undefined;
  readonly MODEL_HTTP_PASSWORD_FILE?: string | undefined;
  readonly MODEL_S3_ENDPOINT?: string | undefined;
  readonly MODEL_S3_REGION?: string | undefined;
  readonly MODEL_S3_FORCE_PATH_STYLE: boolean;
  readonly MODEL_GCS_CREDENTIALS_FILE?: string | undefined;
  readonly MODEL_GCS_ENDPOINT?: string | undefined;
}

export function storageSettings(e: StorageEnv): StorageSettings {
  return {
    cacheSizeLimitBytes: e.MODEL_CACHE_SIZE_LIMIT_BYTES,
    caBundleFile: e.MODEL_CA_BUNDLE_FILE,
    http: {
      bearerTokenFile: e.MODEL_HTTP_BEARER_TOKEN_FILE,
      usernameFile: e.MODEL_HTTP_USERNAME_FILE,
      passwordFile: e.MODEL_HTTP_PASSWORD_FILE,
    },
    s3: {
      endpoint: e.MODEL_S3_ENDPOINT,
      region: e.MODEL_S3_REGION,
      forcePathStyle: e.MODEL_S3_FORCE_PATH_STYLE,
    },
    gcs: { credentialsFile: e.MODEL_GCS_CREDENTIALS_FILE, endpoint: e.MODEL_GCS_ENDPOINT },
  };
}

/** No credentials, no CA, no size limit: what a test or a bare `http://` URI gets. */
export const NO_STORAGE_SETTINGS: StorageSettings = storageSettings({
  MODEL_S3_FORCE_PATH_STYLE: false,
});
