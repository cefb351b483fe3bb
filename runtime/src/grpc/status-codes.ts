import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { HttpError } from '../errors.js';

/**
 * The gRPC status for each HTTP status the runtime answers, so a failure reads the same on
 * both protocols (the message is the HTTP `error` text as is).
 */
export function grpcCodeFor(httpStatus: number): status {
  switch (httpStatus) {
    case 400:
      return status.INVALID_ARGUMENT;
    case 401:
      return status.UNAUTHENTICATED;
    case 403:
      return status.PERMISSION_DENIED;
    case 404:
      return status.NOT_FOUND;
    case 413:
    case 429:
      return status.RESOURCE_EXHAUSTED;
    case 499:
      return status.CANCELLED;
    case 501:
      return status.UNIMPLEMENTED;
    case 503:
      return status.UNAVAILABLE;
    case 504:
      return status.DEADLINE_EXCEEDED;
    default:
      return httpStatus >= 500 ? status.INTERNAL : status.UNKNOWN;
  }
}

/** An error a handler threw, as the HTTP side would have answered it. */
export interface HttpFailure {
  readonly httpStatus: number;
  readonly message: string;
  readonly headers: Readonly<Record<string, string>>;
}

export function httpFailureOf(err: unknown): HttpFailure {
  if (err instanceof HttpError && err.statusCode >= 400)
    return { httpStatus: err.statusCode, message: err.message, headers: err.headers };
  return {
    httpStatus: 500,
    message: `internal error: ${err instanceof Error ? err.message : String(err)}`,
    headers: {},
  };
}

/**
 * The status a client receives. HTTP response headers that tell the client what to do next
 * (retry-after, www-authenticate) travel as trailing metadata under the same names.
 */
export function toServiceError(failure: HttpFailure): Partial<ServiceError> {
  const metadata = new Metadata();
  for (const [name, value] of Object.entries(failure.headers)) metadata.set(name, value);
  return { code: grpcCodeFor(failure.httpStatus), details: failure.message, metadata };
}
