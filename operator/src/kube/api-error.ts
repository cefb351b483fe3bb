/** An answer from kube-apiserver that was not 2xx, with the Status it returned. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    /** The API server's own message, without our method and path prefix. */
    readonly apiMessage: string,
    readonly method: string,
    readonly path: string,
  ) {
    super(`${method} ${path} failed with ${status} ${reason}: ${apiMessage}`);
    this.name = 'ApiError';
  }

  get notFound(): boolean {
    return this.status === 404;
  }

  get conflict(): boolean {
    return this.status === 409;
  }

  get gone(): boolean {
    return this.status === 410;
  }
}

export function isNotFound(err: unknown): boolean {
  return err instanceof ApiError && err.notFound;
}
