import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { HttpError } from '../errors.js';
import { grpcCodeFor, httpFailureOf, toServiceError } from './status-codes.js';

describe('gRPC status for an HTTP status', () => {
  it('maps what the runtime answers to the codes Triton and KServe clients expect', () => {
    expect(
      [400, 401, 403, 404, 413, 429, 500, 503, 504].map((s) => [s, status[grpcCodeFor(s)]]),
    ).toEqual([
      [400, 'INVALID_ARGUMENT'],
      [401, 'UNAUTHENTICATED'],
      [403, 'PERMISSION_DENIED'],
      [404, 'NOT_FOUND'],
      [413, 'RESOURCE_EXHAUSTED'],
      [429, 'RESOURCE_EXHAUSTED'],
      [500, 'INTERNAL'],
      [503, 'UNAVAILABLE'],
      [504, 'DEADLINE_EXCEEDED'],
    ]);
  });

  it('keeps the message and carries retry-after as metadata; other errors are INTERNAL', () => {
    const busy = toServiceError(
      httpFailureOf(new HttpError(503, 'server busy', { 'retry-after': '1' })),
    );
    expect(busy.code).toBe(status.UNAVAILABLE);
    expect(busy.details).toBe('server busy');
    expect(busy.metadata?.get('retry-after')).toEqual(['1']);
    expect(httpFailureOf(new TypeError('boom'))).toEqual({
      httpStatus: 500,
      message: 'internal error: boom',
      headers: {},
    });
  });
});
