import { describe, expect, it } from 'vitest';
import { statusError } from './http-status.js';
import { ModelStorageError, RetryableDownloadError } from './storage-errors.js';

describe('statusError', () => {
  it('types 401/403 as access denied naming the identity, 404/410 as not found', () => {
    for (const status of [401, 403]) {
      const err = statusError('https://h/m.onnx', status, "user 'ci' (basic auth)");
      expect(err).toBeInstanceOf(ModelStorageError);
      expect((err as ModelStorageError).reason).toBe('ModelAccessDenied');
      expect(err.message).toContain('HTTP ' + String(status) + ": access denied to user 'ci'");
    }
    for (const status of [404, 410]) {
      expect((statusError('u', status, 'x') as ModelStorageError).reason).toBe('ModelNotFound');
    }
  });

  it('retries 5xx, 408 and 429 only', () => {
    for (const status of [500, 502, 503, 408, 429]) {
      expect(statusError('u', status, 'x')).toBeInstanceOf(RetryableDownloadError);
    }
    for (const status of [400, 405, 416]) {
      const err = statusError('u', status, 'x');
      expect(err).not.toBeInstanceOf(RetryableDownloadError);
      expect(err).not.toBeInstanceOf(ModelStorageError);
    }
  });
});
