import { z } from 'zod';
import { withRules } from './cel-rule.js';

/**
 * How the runtime reaches a model in object storage or behind an authenticated https://
 * server: which Secret holds the credentials (and under which keys), and how to talk to
 * the store. Ambient credentials (IRSA, EKS Pod Identity, GKE workload identity) need none
 * of this: set spec.runtime.serviceAccountName instead.
 */

const resourceName = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);

const secretKey = (description: string) =>
  z
    .string()
    .min(1)
    .max(253)
    .regex(/^[-._a-zA-Z0-9]+$/)
    .optional()
    .describe(description);

const credentialsShape = z
  .strictObject({
    secretName: resourceName.describe(
      'Secret in the ModelDeployment namespace holding the credentials. s3:// keys reach the runtime as AWS_* variables from secretKeyRef (never in clear in the pod spec); for https:// and gs:// the Secret is mounted read-only as files.',
    ),
    accessKeyIdKey: secretKey('s3://: key of the access key id (default "AWS_ACCESS_KEY_ID").'),
    secretAccessKeyKey: secretKey(
      's3://: key of the secret access key (default "AWS_SECRET_ACCESS_KEY").',
    ),
    sessionTokenKey: secretKey(
      's3://: key of a session token for temporary credentials (default "AWS_SESSION_TOKEN"; used only when the Secret has it).',
    ),
    bearerTokenKey: secretKey(
      'https://: key of a bearer token sent as "Authorization: Bearer" (default "token" unless usernameKey and passwordKey are set).',
    ),
    usernameKey: secretKey('https://: key of the basic-auth user name (with passwordKey).'),
    passwordKey: secretKey('https://: key of the basic-auth password (with usernameKey).'),
    serviceAccountKeyKey: secretKey(
      'gs://: key of the Google service account key file (JSON) in the Secret (default "key.json").',
    ),
  })
  .describe(
    'Credentials for s3://, gs:// and https:// models (the canary model included). Leave unset for public models and for workload identity (IRSA, GKE) through spec.runtime.serviceAccountName.',
  );

export const modelCredentialsSpec = withRules(credentialsShape, [
  {
    rule: 'has(self.usernameKey) == has(self.passwordKey)',
    message: 'usernameKey and passwordKey go together: basic auth needs both',
    holds: (c) => (c.usernameKey === undefined) === (c.passwordKey === undefined),
  },
  {
    rule: '!(has(self.bearerTokenKey) && has(self.usernameKey))',
    message:
      'set bearerTokenKey or usernameKey/passwordKey, not both: a request carries one Authorization header',
    holds: (c) => c.bearerTokenKey === undefined || c.usernameKey === undefined,
  },
]);
export type ModelCredentialsSpec = z.output<typeof modelCredentialsSpec>;

export const QUANTITY_PATTERN = '^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$';

export const modelStorageSpec = z
  .strictObject({
    region: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .describe(
        's3://: region of the bucket (AWS_REGION). Defaults to the pod environment, else us-east-1 for a custom endpoint.',
      ),
    endpoint: z
      .string()
      .max(2048)
      .regex(/^https?:\/\/[^\s/]+(\/[^\s]*)?$/)
      .optional()
      .describe(
        's3://: endpoint of an S3-compatible store (MinIO, Ceph, R2), e.g. https://minio.storage.svc:9000. gs://: the JSON API endpoint of an emulator (fake-gcs-server), e.g. http://gcs.test.svc:4443; requests to it carry credentials only when a key Secret is set.',
      ),
    forcePathStyle: z
      .boolean()
      .optional()
      .describe(
        's3://: put the bucket in the path (https://host/bucket/key) instead of the host name; most S3-compatible stores need it.',
      ),
    caBundle: z
      .strictObject({
        configMapName: resourceName.describe('ConfigMap in the ModelDeployment namespace.'),
        key: secretKey('Key of the PEM bundle in the ConfigMap (default "ca.crt").'),
      })
      .optional()
      .describe(
        'Certificates trusted, besides the public roots, for an https:// model server or an S3 endpoint behind a private CA (not used for gs://).',
      ),
    cacheSizeLimit: z
      .string()
      .regex(new RegExp(QUANTITY_PATTERN))
      .optional()
      .describe(
        "sizeLimit of the pod's scratch volume that caches the downloaded model, e.g. 4Gi. A model larger than this is refused before its download, with the sizes in the message.",
      ),
  })
  .describe(
    'How the runtime reaches the store of an s3://, gs:// or https:// model, and its cache size.',
  );
export type ModelStorageSpec = z.output<typeof modelStorageSpec>;
