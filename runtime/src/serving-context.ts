import type { RuntimeConfig } from './config/index.js';
import type { HangupSignal } from './batching/client-hangup.js';
import { DynamicBatcher, type BatchObserver } from './batching/dynamic-batcher.js';
import type { BatchTracer } from './observability/batch-tracing.js';
import type { BatchMember } from './observability/request-trace.js';
import type { HostTensor, TensorMap } from './tensor/host-tensor.js';
import type { LoadedModel } from './model/load-model.js';
import type { TensorSpec } from './tensor/tensor-spec.js';
import { badRequest } from './errors.js';
import { buildRequestSchemas, type RequestSchemas } from './protocol/request-schemas.js';
import { RequestBudget, requestLimits, type RequestLimits } from './tensor/request-budget.js';

/** Everything a request handler needs once the model is loaded. */
export interface ServingContext {
  readonly model: LoadedModel;
  readonly schemas: RequestSchemas;
  readonly batcher: DynamicBatcher;
  readonly inputs: ReadonlyMap<string, TensorSpec>;
  readonly outputs: ReadonlyMap<string, TensorSpec>;
  readonly limits: RequestLimits;
  /** A fresh budget for one request's inputs (REQUEST_MAX_ROWS, REQUEST_MAX_ELEMENTS). */
  admission(): { readonly budget: RequestBudget; readonly batchable: boolean };
  /**
   * Validated feeds → this request's outputs, through the batcher. `abandoned` aborts when
   * the client hangs up, so the request is not computed for nobody.
   */
  infer(feeds: TensorMap, abandoned?: HangupSignal, traced?: BatchMember): Promise<TensorMap>;
}

export interface ServingHooks {
  readonly observer?: BatchObserver;
  /** True while other inference requests are still being received (see ArrivalTracker). */
  readonly moreArriving?: () => boolean;
  /** Spans for batches and session runs; absent when tracing is off. */
  readonly tracer?: BatchTracer;
}

export function createServingContext(
  model: LoadedModel,
  config: RuntimeConfig,
  hooks: ServingHooks = {},
): ServingContext {
  const signature = model.signature;
  const batcher = new DynamicBatcher({
    maxBatchSize: config.batching.maxSize,
    maxDelayMs: config.batching.maxDelayMs,
    maxQueue: config.batching.maxQueue,
    timeoutMs: config.server.requestTimeoutMs,
    batchable: signature.batchable,
    inputNames: signature.inputs.map((s) => s.name),
    run: (feeds, cancel, timed) => model.run(feeds, undefined, cancel, timed),
    // Handing a full next batch to the worker while one computes measured +2-3 % for the
    // heavy model at 64 connections (docs/benchmarks.md); on the main thread a run blocks
    // the event loop, so there is nothing to overlap and a second batch would only queue.
    maxInFlight: model.thread === 'worker' ? 2 : 1,
    ...hooks,
  });
  const limits = requestLimits(signature, {
    maxRows: config.server.requestMaxRows,
    maxElements: config.server.requestMaxElements,
    maxBatchSize: config.batching.maxSize,
    bodyLimitBytes: config.server.bodyLimitBytes,
  });
  return {
    model,
    limits,
    admission: () => ({ budget: new RequestBudget(limits), batchable: signature.batchable }),
    schemas: buildRequestSchemas(signature),
    batcher,
    inputs: new Map(signature.inputs.map((s) => [s.name, s])),
    outputs: new Map(signature.outputs.map((s) => [s.name, s])),
    infer: (feeds, abandoned, traced) => {
      checkFeeds(model, feeds);
      return batcher.submit(feeds, abandoned, traced);
    },
  };
}

/** Every input present, and for batchable models one batch size across inputs. */
function checkFeeds(model: LoadedModel, feeds: TensorMap): void {
  let rows: number | undefined;
  let first = '';
  for (const spec of model.signature.inputs) {
    const t: HostTensor | undefined = feeds[spec.name];
    if (t === undefined) throw badRequest(`missing input '${spec.name}'`);
    if (!model.signature.batchable) continue;
    if (rows === undefined) {
      rows = t.dims[0];
      first = spec.name;
    } else if (t.dims[0] !== rows) {
      throw badRequest(
        `input '${spec.name}' has ${t.dims[0]} rows but input '${first}' has ${rows}; they must match`,
      );
    }
  }
}
