import {
  credentials,
  loadPackageDefinition,
  Metadata,
  type Client,
  type ClientUnaryCall,
  type ServiceError,
} from '@grpc/grpc-js';
import { loadInferencePackage } from '../../runtime/src/grpc/service-definition.js';
import { startRuntime, type TestRuntime } from './helpers.js';

type UnaryMethod = (
  request: object,
  metadata: Metadata,
  callback: (error: ServiceError | null, response?: Record<string, unknown>) => void,
) => ClientUnaryCall;

type InferenceClient = Client & Record<string, UnaryMethod>;

/** A real @grpc/grpc-js client of inference.GRPCInferenceService, promise-shaped. */
export interface GrpcTestClient {
  call(
    method: string,
    request?: object,
    metadata?: Record<string, string>,
  ): Promise<Record<string, unknown>>;
  /** A call's answer and the initial metadata the server sent with it. */
  callWithMetadata(
    method: string,
    request?: object,
  ): Promise<{ response: Record<string, unknown>; metadata: Record<string, unknown> }>;
  /** The error a call fails with (and the test fails if it succeeds). */
  fail(method: string, request?: object, metadata?: Record<string, string>): Promise<ServiceError>;
  close(): void;
}

export function grpcClient(address: string): GrpcTestClient {
  const pkg = loadPackageDefinition(loadInferencePackage()) as unknown as {
    inference: { GRPCInferenceService: new (a: string, c: unknown) => InferenceClient };
  };
  const client = new pkg.inference.GRPCInferenceService(address, credentials.createInsecure());
  const invoke = (
    method: string,
    request: object,
    headers: Record<string, string>,
    onMetadata: (m: Metadata) => void,
  ) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const metadata = new Metadata();
      for (const [k, v] of Object.entries(headers)) metadata.set(k, v);
      const fn = client[method];
      if (fn === undefined) throw new Error(`no method ${method}`);
      const pending = fn.call(client, request, metadata, (error, response) =>
        error !== null ? reject(error) : resolve(response ?? {}),
      );
      pending.on('metadata', onMetadata);
    });
  const call = (method: string, request: object = {}, headers: Record<string, string> = {}) =>
    invoke(method, request, headers, () => undefined);
  return {
    call,
    callWithMetadata: async (method, request = {}) => {
      let initial: Record<string, unknown> = {};
      const response = await invoke(method, request, {}, (m) => (initial = m.getMap()));
      return { response, metadata: initial };
    },
    fail: async (method, request, headers) => {
      try {
        const answer = await call(method, request, headers);
        throw new Error(`expected ${method} to fail, got ${JSON.stringify(answer)}`);
      } catch (err) {
        if ((err as ServiceError).code === undefined) throw err;
        return err as ServiceError;
      }
    },
    close: () => client.close(),
  };
}

export interface GrpcTestRuntime extends TestRuntime {
  readonly grpcAddress: string;
  readonly grpc: GrpcTestClient;
}

/** A runtime with its model loaded for real, its gRPC endpoint on a free loopback port. */
export async function startGrpcRuntime(
  model: string,
  env: Record<string, string> = {},
): Promise<GrpcTestRuntime> {
  const rt = await startRuntime(model, env);
  const endpoint = rt.server.grpc;
  if (endpoint === undefined) throw new Error('the runtime was built without its gRPC endpoint');
  const port = await endpoint.listen('127.0.0.1', 0);
  const grpcAddress = `127.0.0.1:${port}`;
  const client = grpcClient(grpcAddress);
  return {
    ...rt,
    grpcAddress,
    grpc: client,
    close: async () => {
      client.close();
      await rt.close();
    },
  };
}

/** A Float32Array as the little-endian bytes of raw_input_contents. */
export function fp32Bytes(values: readonly number[]): Buffer {
  return Buffer.from(new Float32Array(values).buffer);
}

export function fp32FromBytes(bytes: Buffer): number[] {
  const copy = Buffer.from(bytes);
  return Array.from(new Float32Array(copy.buffer, copy.byteOffset, copy.length / 4));
}
