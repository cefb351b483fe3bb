import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import rateLimit from '@fastify/rate-limit';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { Logger } from 'pino';
import { createAuthenticator, type Authenticator } from './auth/authenticator.js';
import { protectedCategory } from './auth/protected-categories.js';
import { ArrivalTracker } from './batching/arrivals.js';
import { ClientHangup } from './batching/client-hangup.js';
import type { RuntimeConfig } from './config/index.js';
import {
  abandonWork,
  realSleep,
  shutdownGracefully,
  type PendingWork,
  type Sleep,
} from './graceful-shutdown.js';
import { createGrpcEndpoint, type GrpcEndpoint } from './grpc/grpc-endpoint.js';
import { createLogger } from './logger.js';
import { createMetrics, type RuntimeMetrics } from './metrics.js';
import type { LoadedModel } from './model/load-model.js';
import { registerBinaryBodies } from './protocol/binary-body.js';
import { HttpError } from './errors.js';
import { registerJsonBody } from './protocol/json-body.js';
import { decorateRawBody } from './protocol/raw-body.js';
import { registerPredict } from './protocol/predict.js';
import { endConnectionsGracefully } from './connection-drain.js';
import { discardRestOfRefusedBody } from './protocol/refused-body.js';
import { registerRequestDecoding } from './protocol/request-encoding.js';
import { registerResponseEncoding } from './protocol/response-encoding.js';
import { JSON_TYPE } from './protocol/route-config.js';
import { registerV1 } from './protocol/v1.js';
import { registerV2 } from './protocol/v2.js';
import { ReplicaRateLimit } from './rate-limit/replica-rate-limit.js';
import { RuntimeState } from './runtime-state.js';
import { createServingContext } from './serving-context.js';
import { createBatchTracer } from './observability/batch-tracing.js';
import { createPayloadLogger, registerPayloadLogging } from './observability/payload-logging.js';
import type { RandomSource } from './observability/payload-sampler.js';
import { registerTracing } from './observability/request-tracing.js';
import { modelAttributes } from './observability/span-names.js';
import { createTracing, type Tracing } from './observability/tracing.js';
import { registerShadow } from './shadow/register-shadow.js';
import type { ShadowMirror } from './shadow/shadow-mirror.js';

export interface RuntimeServer {
  readonly app: FastifyInstance;
  readonly state: RuntimeState;
  readonly metrics: RuntimeMetrics;
  readonly logger: Logger;
  /** The V2 gRPC listener over the same state (not listening until main or a test says so); undefined with GRPC_ENABLED=false. */
  readonly grpc: GrpcEndpoint | undefined;
  /** Copies answered requests to the shadow track; undefined unless SHADOW_TARGET_URL is set. */
  readonly shadow: ShadowMirror | undefined;
  /** Serve this model: builds the batcher and request schemas, then reports ready. */
  attachModel(model: LoadedModel): void;
  /**
   * Not ready at once; keep serving for SHUTDOWN_DELAY_MS; stop accepting; finish in-flight
   * and queued work; release the model (graceful-shutdown.ts).
   */
  shutdown(): Promise<void>;
  /** Inference requests not yet answered, for the log line of a shutdown deadline. */
  pendingWork(): Promise<PendingWork>;
  /** The shutdown deadline: drop connections, start no further run (graceful-shutdown.ts). */
  abandon(): Promise<void>;
}

export interface BuildServerOptions {
  readonly logger?: Logger;
  /** How shutdown waits out SHUTDOWN_DELAY_MS (a timer unless a test injects its own). */
  readonly sleep?: Sleep;
  /** Tracing as configured (config.tracing) unless a test passes its own. */
  readonly tracing?: Tracing;
  /** Where payload records go (default: stdout, logger name "payload"). */
  readonly payloadLogger?: Logger;
  /** The sampling draws of payload logging (default Math.random). */
  readonly payloadRandom?: RandomSource;
}

const require = createRequire(import.meta.url);
const RUNTIME_VERSION = (require('../package.json') as { version: string }).version;

/**
 * Builds the fastify app with every route, auth, rate limit and metrics; it does not
 * listen. Pass a loaded model to be ready at once, or attach one later (readiness is
 * 503 until then).
 */
export async function buildServer(
  config: RuntimeConfig,
  model?: LoadedModel,
  options: BuildServerOptions = {},
): Promise<RuntimeServer> {
  const logger = options.logger ?? createLogger(config);
  const state = new RuntimeState(config.model.name, config.model.version);
  const metrics = createMetrics({
    model: config.model.name,
    version: config.model.version,
    track: config.model.track,
    instance: config.model.instance,
  });
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({
      disableRequestLogging: true,
      requestIdLogLabel: 'request_id',
    }),
    bodyLimit: config.server.bodyLimitBytes,
    genReqId: requestId,
    return503OnClosing: true,
  });
  // Observability first, so the hooks after it log with the request's trace id.
  const tracing = options.tracing ?? createTracing(config.tracing, RUNTIME_VERSION);
  const modelSpanAttributes = modelAttributes(config.model);
  registerTracing(app, tracing, modelSpanAttributes);
  if (config.payloadLog !== undefined) {
    registerPayloadLogging(app, config.payloadLog, {
      logger: options.payloadLogger ?? createPayloadLogger(config),
      ...(options.payloadRandom !== undefined && { random: options.payloadRandom }),
      modelInputs: () => [...(state.serving?.inputs.keys() ?? [])],
    });
  }
  const arrivals = new ArrivalTracker();
  const auth = await createAuthenticator(config.auth);
  await registerHooks(app, config, metrics, arrivals, auth);
  closeConnectionsWhileDraining(app, state);
  endConnectionsGracefully(app.server);
  const rateLimit =
    config.rateLimit !== undefined ? new ReplicaRateLimit(config.rateLimit) : undefined;
  if (rateLimit !== undefined) await registerRateLimit(app, rateLimit);
  registerErrorHandling(app, config);
  decorateRawBody(app);
  registerJsonBody(app);
  registerBinaryBodies(app);
  registerRequestDecoding(app, config.server.bodyLimitBytes);
  // Between decoding and encoding: the shadow gets the decoded body, compares the plain answer.
  const shadow =
    config.shadow === undefined
      ? undefined
      : registerShadow(app, config.shadow, metrics.registry, logger, config.auth.apiKeys[0]);
  registerResponseEncoding(app);
  registerHealth(app, state, metrics);
  registerPredict(app, state);
  registerV1(app, state);
  registerV2(app, state, RUNTIME_VERSION);
  const grpc =
    config.server.grpcPort === undefined
      ? undefined
      : createGrpcEndpoint({
          state,
          config,
          metrics,
          logger,
          auth,
          rateLimit,
          serverVersion: RUNTIME_VERSION,
          shadow,
        });

  const attachModel = (loaded: LoadedModel): void => {
    // The session's worker thread died: stop reporting ready and live, so the Service
    // stops sending traffic and the kubelet restarts the container.
    loaded.onFailure((reason) => {
      state.markFailed(`model session failed: ${reason}`);
      logger.fatal({ reason }, 'model session failed; not ready and not live until restarted');
    });
    metrics.setModelInfo(loaded.sha256);
    const hooks = {
      observer: metrics.batchObserver,
      ...(config.batching.dispatch === 'eager' ? { moreArriving: () => arrivals.pending > 0 } : {}),
      ...(tracing !== undefined ? { tracer: createBatchTracer(tracing, modelSpanAttributes) } : {}),
    };
    state.markReady(createServingContext(loaded, config, hooks));
  };
  if (model !== undefined) attachModel(model);
  return {
    app,
    state,
    metrics,
    logger,
    grpc,
    shadow,
    attachModel,
    shutdown: async () => {
      await shutdownGracefully({
        app,
        state,
        logger,
        otherListeners: grpc === undefined ? [] : [grpc],
        delayMs: config.server.shutdownDelayMs,
        sleep: options.sleep ?? realSleep,
      });
      // The spans of the last requests are still buffered for export.
      await tracing?.shutdown();
    },
    pendingWork: async () => ({
      inflight: (await metrics.inflight.get()).values[0]?.value ?? 0,
      queued: state.serving?.batcher.depth ?? 0,
      running: state.serving?.batcher.running ?? 0,
    }),
    abandon: () => {
      grpc?.abandon();
      return abandonWork(app, state);
    },
  };
}

/** Accepts an incoming x-request-id when it is sane, else a new UUID. */
function requestId(request: IncomingMessage): string {
  const incoming = request.headers['x-request-id'];
  return typeof incoming === 'string' && /^[\w.:@/+=-]{1,128}$/.test(incoming)
    ? incoming
    : randomUUID();
}

// The request flags that registerHooks decorates and keeps.
declare module 'fastify' {
  interface FastifyRequest {
    /** Counted by the ArrivalTracker until the handler runs or the request is answered. */
    receiving: boolean;
    /** Counted in modeldeploy_inflight_requests until answered or abandoned. */
    inflight: boolean;
    /**
     * Inference requests: aborted when the client hangs up before its answer, so the batcher
     * drops the request instead of computing it for nobody (ServingContext.infer).
     */
    abandoned: ClientHangup | null;
  }
}

async function registerHooks(
  app: FastifyInstance,
  config: RuntimeConfig,
  metrics: RuntimeMetrics,
  arrivals: ArrivalTracker,
  auth: Authenticator | undefined,
): Promise<void> {
  const modelHeaders = {
    'x-model-name': config.model.name,
    'x-model-version': config.model.version,
  };
  app.addHook('onRoute', (route) => {
    if (route.config?.category === 'inference')
      metrics.countErrorsFromZero(route.config.metricsRoute ?? route.url, 'http');
  });
  app.decorateRequest('receiving', false);
  app.decorateRequest('inflight', false);
  app.decorateRequest('abandoned', null);
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(modelHeaders);
    reply.header('x-request-id', request.id);
    if (request.routeOptions.config.category === 'inference') {
      metrics.inflight.inc();
      request.inflight = true;
      arrivals.arrived();
      request.receiving = true;
      const abandoned = new ClientHangup();
      request.abandoned = abandoned;
      // onRequestAbort covers a client that leaves while its body arrives; one that leaves
      // while its request waits for the model shows as the response closing unfinished.
      reply.raw.once('close', () => {
        if (!reply.raw.writableFinished) abandoned.abort();
      });
    }
    done();
  });
  /** Counts a request out of in-flight exactly once: answered, or its client hung up. */
  const finish = (request: FastifyRequest): void => {
    if (request.inflight) {
      request.inflight = false;
      metrics.inflight.dec();
    }
    leave(request);
  };
  const leave = (request: FastifyRequest): void => {
    if (request.receiving) {
      request.receiving = false;
      arrivals.left();
    }
  };
  app.addHook('preHandler', (request, _reply, done) => {
    leave(request);
    done();
  });
  // A client that hangs up before its answer gets no onResponse.
  app.addHook('onRequestAbort', (request, done) => {
    request.abandoned?.abort();
    finish(request);
    done();
  });
  if (auth !== undefined) {
    app.addHook('onRequest', async (request) => {
      if (protectedCategory(config, request.routeOptions.config.category))
        await auth.authenticate(request.headers);
    });
  }
  app.addHook('onResponse', (request, reply, done) => {
    // routeOptions builds a new object at every read.
    const route = request.routeOptions;
    finish(request);
    const labels = {
      route: route.config.metricsRoute ?? route.url ?? 'unmatched',
      code: String(reply.statusCode),
      protocol: 'http',
    } as const;
    metrics.requests.inc(labels);
    metrics.requestDuration.observe(labels, reply.elapsedTime / 1000);
    request.log.debug(
      { method: request.method, url: request.url, status: reply.statusCode, ms: reply.elapsedTime },
      'request completed',
    );
    done();
  });
}

/**
 * Once draining, every response says `Connection: close`, so keep-alive clients (fetch,
 * load balancers) let go after their last answer and the server can close within the grace.
 */
function closeConnectionsWhileDraining(app: FastifyInstance, state: RuntimeState): void {
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (state.phase === 'draining') reply.header('connection', 'close');
    done(null, payload);
  });
}

async function registerRateLimit(app: FastifyInstance, limit: ReplicaRateLimit): Promise<void> {
  // A fixed window of `burst` requests per burst/rps seconds, for this replica as a whole,
  // counted together with the gRPC methods.
  await app.register(rateLimit, {
    global: true,
    max: limit.max,
    timeWindow: limit.windowMs,
    store: limit.storeClass(),
    keyGenerator: () => 'replica',
    allowList: (request: FastifyRequest) => request.routeOptions.config.category !== 'inference',
    errorResponseBuilder: (_request, context) =>
      limit.exceeded(context.after, Math.max(1, Math.ceil(context.ttl / 1000))),
  });
}

function registerErrorHandling(app: FastifyInstance, config: RuntimeConfig): void {
  app.setErrorHandler(
    async (error: FastifyError | HttpError, request: FastifyRequest, reply: FastifyReply) => {
      const status =
        error.statusCode !== undefined && error.statusCode >= 400 ? error.statusCode : 500;
      if (error instanceof HttpError) reply.headers(error.headers);
      let message = error.message;
      // fastify's own 413 does not say which setting to change.
      if (status === 413 && !(error instanceof HttpError))
        message = `request body is larger than BODY_LIMIT_BYTES=${config.server.bodyLimitBytes}`;
      if (status === 413) await discardRestOfRefusedBody(request, reply);
      if (status >= 500) {
        request.log.error({ err: error }, 'request failed');
        if (!(error instanceof HttpError)) message = `internal error: ${error.message}`;
      } else {
        request.log.debug({ status, error: message }, 'request rejected');
      }
      return reply
        .code(status)
        .type(JSON_TYPE)
        .send(JSON.stringify({ error: message }));
    },
  );
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .type(JSON_TYPE)
      .send(
        JSON.stringify({ error: `no route ${request.method} ${request.url.split('?')[0] ?? ''}` }),
      ),
  );
}

function registerHealth(app: FastifyInstance, state: RuntimeState, metrics: RuntimeMetrics): void {
  app.get('/health', { config: { category: 'health' } }, async (_request, reply) =>
    state.live
      ? reply.type(JSON_TYPE).send('{"status":"ok"}')
      : reply
          .code(503)
          .type(JSON_TYPE)
          .send(JSON.stringify({ status: 'failed', reason: state.notReadyReason() })),
  );
  app.get('/ready', { config: { category: 'health' } }, async (_request, reply) => {
    const body = state.ready
      ? { ready: true, model: state.modelName, version: state.modelVersion }
      : { ready: false, phase: state.phase, reason: state.notReadyReason() };
    return reply
      .code(state.ready ? 200 : 503)
      .type(JSON_TYPE)
      .send(JSON.stringify(body));
  });
  app.get('/metrics', { config: { category: 'metrics' } }, async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
}
