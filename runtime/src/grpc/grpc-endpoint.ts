import { Server, ServerCredentials } from '@grpc/grpc-js';
import { inferenceService, type GrpcServingDeps } from './inference-service.js';
import { inferenceServiceDefinition } from './service-definition.js';

/** The gRPC listener beside the HTTP one: same serving state, its own port (GRPC_PORT). */
export interface GrpcEndpoint {
  /** Binds host:port (0 picks a free port); resolves with the bound port. */
  listen(host: string, port: number): Promise<number>;
  /**
   * Stops accepting calls (clients get GOAWAY and reconnect elsewhere); resolves once every
   * call in flight is answered.
   */
  close(): Promise<void>;
  /** The shutdown deadline: cancels the calls in flight and drops every connection. */
  abandon(): void;
}

export function createGrpcEndpoint(deps: GrpcServingDeps): GrpcEndpoint {
  const server = new Server({
    // BODY_LIMIT_BYTES bounds a gRPC message as it bounds an HTTP body; grpc-js refuses a
    // larger one with RESOURCE_EXHAUSTED before it is decoded.
    'grpc.max_receive_message_length': deps.config.server.bodyLimitBytes,
  });
  server.addService(inferenceServiceDefinition(), inferenceService(deps));
  return {
    listen: (host, port) =>
      new Promise((resolve, reject) => {
        const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
        server.bindAsync(address, ServerCredentials.createInsecure(), (err, bound) =>
          err === null ? resolve(bound) : reject(err),
        );
      }),
    close: () =>
      new Promise((resolve) => {
        server.tryShutdown(() => resolve());
      }),
    abandon: () => server.forceShutdown(),
  };
}
