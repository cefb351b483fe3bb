import { describe, expect, it } from 'vitest';
import { classifyGcsError } from './gcs-errors.js';
import { ModelStorageError, RetryableDownloadError, storageReason } from './storage-errors.js';

const where = { bucket: 'models', object: 'iris/v2.onnx' };
const location = 'gs://models/iris/v2.onnx';
const identity = (): Promise<string> =>
  Promise.resolve('service account r@p.iam.gserviceaccount.com');

/** The shape the client gives a failed request: an Error with the HTTP status as `code`. */
const apiError = (code: number, message = 'x'): Error =>
  Object.assign(new Error(message), { code });

describe('classifyGcsError', () => {
  it('types 404 as not found and 401/403 as access denied naming the identity', async () => {
    const missing = await classifyGcsError(apiError(404), where, location, identity);
    expect(storageReason(missing)).toBe('ModelNotFound');
    expect(missing.message).toContain("no object 'iris/v2.onnx' in bucket 'models'");
    for (const code of [401, 403]) {
      const denied = await classifyGcsError(apiError(code), where, location, identity);
      expect(storageReason(denied)).toBe('ModelAccessDenied');
      expect(denied.message).toContain(
        `HTTP ${code}: access denied to service account r@p.iam.gserviceaccount.com`,
      );
    }
  });

  it('retries 5xx, 408, 429 and network failures, not other statuses', async () => {
    for (const code of [500, 503, 408, 429]) {
      expect(await classifyGcsError(apiError(code), where, location, identity)).toBeInstanceOf(
        RetryableDownloadError,
      );
    }
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect(await classifyGcsError(reset, where, location, identity)).toBeInstanceOf(
      RetryableDownloadError,
    );
    const bad = await classifyGcsError(apiError(400), where, location, identity);
    expect(bad).not.toBeInstanceOf(RetryableDownloadError);
    expect(bad).not.toBeInstanceOf(ModelStorageError);
  });

  it('calls no credentials at all access denied, saying how to give some', async () => {
    const err = await classifyGcsError(
      new Error('Could not load the default credentials. Browse to …'),
      where,
      location,
      identity,
    );
    expect(storageReason(err)).toBe('ModelAccessDenied');
    expect(err.message).toContain('spec.model.credentials');
  });
});
