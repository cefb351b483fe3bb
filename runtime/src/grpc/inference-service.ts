import { randomUUID } from 'node:crypto';
import {
  Metadata,
  type sendUnaryData,
  type ServerUnaryCall,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { Authenticator } from '../auth/authenticator.js';
import { protectedCategory } from '../auth/protected-categories.js';
import { ClientHangup, type HangupSignal } from '../batching/client-hangup.js';
import type { RuntimeConfig } from '../config/index.js';
import type { RuntimeMetrics } from '../metrics.js';
import { NON_FINITE_HEADER, nonFiniteOutputs } from '../protocol/non-finite-outputs.js';
import { checkModelName, type RouteCategory } from '../protocol/route-config.js';
import type { ReplicaRateLimit } from '../rate-limit/replica-rate-limit.js';
import type { RuntimeState } from '../runtime-state.js';
import type { ShadowMirror } from '../shadow/shadow-mirror.js';
import type { TensorSpec } from '../tensor/tensor-spec.js';
import { decodeInferInputs } from './infer-inputs.js';
import { encodeOutputs, requestedOutputs } from './infer-outputs.js';
import { mirrorModelInfer } from './mirror-infer.js';
import type {
  ModelInferRequest,
  ModelInferResponse,
  ModelMetadataResponse,
  ModelRef,
  ServerMetadataResponse,
} from './messages.js';
import { SERVICE_NAME } from './service-definition.js';
import { httpFailureOf, toServiceError } from './status-codes.js';

/** What the gRPC methods share with the HTTP routes: one state, batcher, auth, limit, metrics. */
export interface GrpcServingDeps {
  readonly state: RuntimeState;
  readonly config: RuntimeConfig;
  readonly metrics: RuntimeMetrics;
  readonly logger: Logger;
  readonly auth: Authenticator | undefined;
  readonly rateLimit: ReplicaRateLimit | undefined;
  readonly serverVersion: string;
  /** Copies answered ModelInfer calls to the shadow; undefined unless SHADOW_TARGET_URL is set. */
  readonly shadow?: ShadowMirror | undefined;
}

export const SERVER_NAME = 'modeldeploy-runtime';

/** `headers` collects what the method adds to the answer's initial metadata. */
type Handler = (
  request: never,
  abandoned: HangupSignal,
  headers: Record<string, string>,
) => Promise<object>;

/** Runs once the user has a successful answer (the shadow copy). */
type Answered = (request: never, answer: never, metadata: Metadata, requestId: string) => void;

/** The six methods of inference.GRPCInferenceService over the runtime's serving state. */
export function inferenceService(deps: GrpcServingDeps): UntypedServiceImplementation {
  const { state } = deps;
  const { shadow } = deps;
  const methods: Record<string, [RouteCategory, Handler, Answered?]> = {
    ServerLive: ['health', async () => ({ live: state.live })],
    ServerReady: ['health', async () => ({ ready: state.ready })],
    ModelReady: [
      'health',
      async (ref: ModelRef) => {
        checkModelName(state, ref.name, ref.version || undefined);
        return { ready: state.ready };
      },
    ],
    ServerMetadata: ['health', async () => serverMetadata(deps.serverVersion)],
    ModelMetadata: [
      'metadata',
      async (ref: ModelRef) => {
        checkModelName(state, ref.name, ref.version || undefined);
        return modelMetadata(state);
      },
    ],
    ModelInfer: [
      'inference',
      (request: ModelInferRequest, abandoned, headers) =>
        modelInfer(state, request, abandoned, headers),
      shadow === undefined
        ? undefined
        : (request: ModelInferRequest, answer: ModelInferResponse, metadata, id) =>
            mirrorModelInfer(shadow, id, metadata, request, answer),
    ],
  };
  deps.metrics.countErrorsFromZero(methodRoute('ModelInfer'), 'grpc');
  return Object.fromEntries(
    Object.entries(methods).map(([name, [category, handler, answered]]) => [
      name,
      unary(deps, name, category, handler, answered),
    ]),
  );
}

/** The `route` label of a gRPC method on modeldeploy_requests_total: its full path. */
export function methodRoute(method: string): string {
  return `/${SERVICE_NAME}/${method}`;
}

function serverMetadata(version: string): ServerMetadataResponse {
  return { name: SERVER_NAME, version, extensions: [] };
}

function modelMetadata(state: RuntimeState): ModelMetadataResponse {
  const signature = state.requireModel().model.signature;
  const describe = (s: TensorSpec) => ({
    name: s.name,
    datatype: s.datatype.v2,
    shape: [...s.shape],
  });
  return {
    name: state.modelName,
    versions: [state.modelVersion],
    platform: 'onnxruntime_onnx',
    inputs: signature.inputs.map(describe),
    outputs: signature.outputs.map(describe),
  };
}

async function modelInfer(
  state: RuntimeState,
  request: ModelInferRequest,
  abandoned: HangupSignal,
  headers: Record<string, string>,
): Promise<ModelInferResponse> {
  checkModelName(state, request.model_name, request.model_version || undefined);
  const ctx = state.requireServing();
  const wanted = requestedOutputs(request, ctx.outputs);
  const feeds = await decodeInferInputs(ctx, request);
  const results = await ctx.infer(feeds, abandoned);
  // Raw and typed float contents carry NaN and ±Infinity exactly; the metadata says they are
  // there, as the REST header does.
  const nonFinite = nonFiniteOutputs(results, ctx.outputs);
  if (nonFinite.length > 0) headers[NON_FINITE_HEADER] = nonFinite.join(',');
  const raw = request.raw_input_contents.length > 0;
  return {
    model_name: state.modelName,
    model_version: state.modelVersion,
    id: request.id || randomUUID(),
    ...encodeOutputs(wanted, results, raw),
  };
}

/** Credentials from gRPC metadata, read like the HTTP headers of the same names. */
function credentialHeaders(metadata: Metadata): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of ['authorization', 'x-api-key']) {
    const value = metadata.get(name)[0];
    if (typeof value === 'string') headers[name] = value;
  }
  return headers;
}

/**
 * One unary method with what the HTTP hooks do around a route: in-flight count, auth, rate
 * limit (inference only), the requests counter and latency histogram (`code` is the HTTP
 * status the same outcome gets on REST, so canary analysis counts gRPC failures too), and
 * dropping the request when the client cancels.
 */
function unary(
  deps: GrpcServingDeps,
  method: string,
  category: RouteCategory,
  handler: Handler,
  answered: Answered | undefined,
): (call: ServerUnaryCall<unknown, object>, callback: sendUnaryData<object>) => void {
  const route = methodRoute(method);
  const needsAuth = deps.auth !== undefined && protectedCategory(deps.config, category);
  return (call, callback) => {
    const started = performance.now();
    const inference = category === 'inference';
    const id = requestId(call.metadata);
    // A child logger costs a bindings serialisation; most calls log nothing at the usual level.
    let child: Logger | undefined;
    const log = (): Logger =>
      (child ??= deps.logger.child({ request_id: id, grpc_method: method }));
    // The headers every REST answer carries, as initial metadata.
    const headers: Record<string, string> = {
      'x-model-name': deps.state.modelName,
      'x-model-version': deps.state.modelVersion,
      'x-request-id': id,
    };
    const abandoned = new ClientHangup();
    call.once('cancelled', () => abandoned.abort());
    if (inference) deps.metrics.inflight.inc();
    const run = async (): Promise<object> => {
      if (needsAuth) await deps.auth?.authenticate(credentialHeaders(call.metadata));
      if (inference) deps.rateLimit?.admit();
      return handler(call.request as never, abandoned, headers);
    };
    const finish = (code: number): void => {
      if (inference) deps.metrics.inflight.dec();
      if (abandoned.aborted) return;
      const labels = { route, code: String(code), protocol: 'grpc' } as const;
      const seconds = (performance.now() - started) / 1000;
      deps.metrics.requests.inc(labels);
      deps.metrics.requestDuration.observe(labels, seconds);
      if (deps.logger.isLevelEnabled('debug'))
        log().debug({ status: code, ms: seconds * 1000 }, 'grpc call completed');
    };
    run().then(
      (answer) => {
        finish(200);
        if (headers[NON_FINITE_HEADER] !== undefined)
          log().warn(
            { nonFinite: headers[NON_FINITE_HEADER] },
            'the model produced non-finite outputs',
          );
        call.sendMetadata(toMetadata(headers));
        callback(null, answer);
        try {
          answered?.(call.request as never, answer as never, call.metadata, id);
        } catch (err) {
          // The user has the answer already; what follows it must not take the process down.
          log().error({ err }, 'work after the answer failed');
        }
      },
      (err: unknown) => {
        const failure = httpFailureOf(err);
        if (failure.httpStatus >= 500) log().error({ err }, 'grpc call failed');
        else
          log().debug({ status: failure.httpStatus, error: failure.message }, 'grpc call rejected');
        finish(failure.httpStatus);
        call.sendMetadata(toMetadata(headers));
        callback(toServiceError(failure));
      },
    );
  };
}

function toMetadata(headers: Readonly<Record<string, string>>): Metadata {
  const metadata = new Metadata();
  for (const [name, value] of Object.entries(headers)) metadata.set(name, value);
  return metadata;
}

function requestId(metadata: Metadata): string {
  const incoming = metadata.get('x-request-id')[0];
  return typeof incoming === 'string' && /^[\w.:@/+=-]{1,128}$/.test(incoming)
    ? incoming
    : randomUUID();
}
