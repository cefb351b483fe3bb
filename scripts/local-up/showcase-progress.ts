/**
 * What `npm start` waits for once the examples run with a Prometheus: the latency HPA
 * reading its metric, the canary's analysis passing, and the rollout promoted (or how long
 * until it can be). Reads only the API server.
 */
import { apiRequest } from '../../test/cluster/api-client.js';
import type { ApiCredentials } from '../../test/cluster/kubeconfig.js';
import { rolloutEta, type RolloutEta } from './rollout-eta.js';

interface HpaShape {
  spec?: { metrics?: { pods?: { metric?: { name?: string } } }[] };
  status?: {
    currentReplicas?: number;
    currentMetrics?: {
      pods?: { metric?: { name?: string }; current?: { averageValue?: string } };
    }[];
  };
}

interface AnalysisShape {
  verdict?: string;
  message?: string;
  time?: string;
}

interface MdepShape {
  spec?: { canary?: { steps?: { weight?: number; pauseSeconds?: number }[] } };
  status?: {
    canary?: {
      phase?: string;
      step?: number;
      stepStartedAt?: string;
      message?: string;
      lastAnalysis?: AnalysisShape;
    };
  };
}

export interface HpaReading {
  readonly metric: string;
  /** The HPA's current average value as the API gives it (e.g. "8m" = 8 ms as seconds/1000). */
  readonly value: string;
  readonly replicas: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function getJson<T>(creds: ApiCredentials, path: string): Promise<T | undefined> {
  const res = await apiRequest(creds, 'GET', path);
  return res.status === 200 ? (JSON.parse(res.body) as T) : undefined;
}

/** The HPA's pods metric once its status carries a current value. */
export async function readHpaMetric(
  creds: ApiCredentials,
  namespace: string,
  name: string,
): Promise<HpaReading | undefined> {
  const hpa = await getJson<HpaShape>(
    creds,
    `/apis/autoscaling/v2/namespaces/${namespace}/horizontalpodautoscalers/${name}`,
  );
  const current = hpa?.status?.currentMetrics?.find((m) => m.pods?.current?.averageValue);
  const value = current?.pods?.current?.averageValue;
  if (value === undefined) return undefined;
  return {
    metric: current?.pods?.metric?.name ?? '?',
    value,
    replicas: hpa?.status?.currentReplicas ?? 0,
  };
}

export interface CanaryReading {
  readonly eta: RolloutEta;
  readonly lastAnalysis?: AnalysisShape;
  readonly message?: string;
}

export async function readCanary(
  creds: ApiCredentials,
  namespace: string,
  name: string,
  now: Date,
): Promise<CanaryReading | undefined> {
  const md = await getJson<MdepShape>(
    creds,
    `/apis/modeldeploy.io/v1alpha1/namespaces/${namespace}/modeldeployments/${name}`,
  );
  if (md === undefined) return undefined;
  const status = md.status?.canary;
  const eta = rolloutEta(
    {
      steps: md.spec?.canary?.steps ?? [],
      ...(status?.phase !== undefined ? { phase: status.phase } : {}),
      ...(status?.step !== undefined ? { step: status.step } : {}),
      ...(status?.stepStartedAt !== undefined ? { stepStartedAt: status.stepStartedAt } : {}),
    },
    now,
  );
  return {
    eta,
    ...(status?.lastAnalysis !== undefined ? { lastAnalysis: status.lastAnalysis } : {}),
    ...(status?.message !== undefined ? { message: status.message } : {}),
  };
}

/** Polls `read` every 2 s until it gives a value or `timeoutMs` passes (then undefined). */
export async function pollFor<T>(
  read: () => Promise<T | undefined>,
  timeoutMs: number,
): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read().catch(() => undefined);
    if (value !== undefined || Date.now() > deadline) return value;
    await sleep(2_000);
  }
}
