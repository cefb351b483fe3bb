import { parseArgs } from 'node:util';
import { z } from 'zod';
import {
  invalidAllowListEntries,
  parsePrometheusAllowList,
} from './rollout/prometheus-url-allowlist.js';

const boolString = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

const bindAddress = z
  .string()
  .regex(/^[^:]*:\d+$/, 'must be host:port, e.g. 0.0.0.0:8080 or :8080');

const configSchema = z.object({
  KUBECONFIG: z.string().optional(),
  WATCH_NAMESPACES: z.string().default(''),
  RUNTIME_IMAGE: z.string().min(1).default('modeldeploy/runtime:0.1.0'),
  LEADER_ELECT: boolString.default(false),
  LEADER_ELECTION_NAMESPACE: z.string().optional(),
  LEADER_ELECTION_ID: z.string().default('modeldeploy-operator'),
  LEASE_DURATION_SECONDS: z.coerce.number().int().min(2).default(15),
  RENEW_DEADLINE_SECONDS: z.coerce.number().int().min(1).default(10),
  RETRY_PERIOD_SECONDS: z.coerce.number().int().min(1).default(2),
  METRICS_BIND_ADDRESS: bindAddress.default('0.0.0.0:8080'),
  HEALTH_PROBE_BIND_ADDRESS: bindAddress.default('0.0.0.0:8081'),
  MAX_CONCURRENT_RECONCILES: z.coerce.number().int().min(1).max(64).default(4),
  RESYNC_SECONDS: z.coerce.number().int().min(10).default(600),
  /** How often an optional API missing at start (Gateway API routes) is looked for again. */
  OPTIONAL_API_RETRY_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
  POD_NAME: z.string().optional(),
  POD_NAMESPACE: z.string().optional(),
  ANALYSIS_PROMETHEUS_URLS: z
    .string()
    .default('')
    .transform(parsePrometheusAllowList)
    .refine((list) => invalidAllowListEntries(list).length === 0, {
      message: 'entries must be http(s) URLs or *, separated by commas',
    }),
  ANALYSIS_NAMESPACE_LABEL: z
    .string()
    .regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'must be a Prometheus label name')
    .optional(),
});

export interface OperatorConfig {
  kubeconfig: string | undefined;
  namespaces: string[];
  runtimeImage: string;
  leaderElect: boolean;
  leaderElectionNamespace: string;
  leaderElectionId: string;
  leaseDurationSeconds: number;
  renewDeadlineSeconds: number;
  retryPeriodSeconds: number;
  metricsAddress: { host: string; port: number };
  probeAddress: { host: string; port: number };
  workers: number;
  resyncSeconds: number;
  optionalApiRetrySeconds: number;
  logLevel: string;
  identity: string;
  analysis: AnalysisConfig;
}

/** How the operator runs canary analysis, whatever the ModelDeployments ask. */
export interface AnalysisConfig {
  /** Prometheus URLs (exact or prefix) the operator may query; empty refuses all. */
  allowedPrometheusUrls: string[];
  /**
   * A label that the scrape config sets to the pod's namespace (e.g. `namespace` under
   * Kubernetes service discovery); when set, every query also matches it. The runtime's own
   * `modeldeployment` label is what pods report about themselves; this one Prometheus adds.
   */
  namespaceLabel: string | undefined;
}

/** CLI flags a person types, mapped onto the environment variables a pod spec sets. */
const FLAG_TO_ENV: Record<string, string> = {
  kubeconfig: 'KUBECONFIG',
  'watch-namespaces': 'WATCH_NAMESPACES',
  'runtime-image': 'RUNTIME_IMAGE',
  'leader-elect': 'LEADER_ELECT',
  'leader-election-namespace': 'LEADER_ELECTION_NAMESPACE',
  'metrics-bind-address': 'METRICS_BIND_ADDRESS',
  'health-probe-bind-address': 'HEALTH_PROBE_BIND_ADDRESS',
  'max-concurrent-reconciles': 'MAX_CONCURRENT_RECONCILES',
  'resync-seconds': 'RESYNC_SECONDS',
  'optional-api-retry-seconds': 'OPTIONAL_API_RETRY_SECONDS',
  'log-level': 'LOG_LEVEL',
  'analysis-prometheus-urls': 'ANALYSIS_PROMETHEUS_URLS',
  'analysis-namespace-label': 'ANALYSIS_NAMESPACE_LABEL',
};

function address(value: string): { host: string; port: number } {
  const i = value.lastIndexOf(':');
  return { host: value.slice(0, i) || '0.0.0.0', port: Number(value.slice(i + 1)) };
}

/** Reads flags over environment; a bad value stops start-up naming the setting. */
export function loadConfig(
  argv: string[],
  env: NodeJS.ProcessEnv,
  hostname: string,
): OperatorConfig {
  const options = Object.fromEntries(
    Object.keys(FLAG_TO_ENV).map((f) => [f, { type: 'string' as const }]),
  );
  const { values } = parseArgs({ args: argv, options, allowPositionals: false });
  const merged: Record<string, string | undefined> = { ...env };
  for (const [flag, name] of Object.entries(FLAG_TO_ENV)) {
    const v = values[flag];
    if (typeof v === 'string') merged[name] = v;
  }
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid operator configuration: ${problems}`);
  }
  const c = parsed.data;
  return {
    kubeconfig: c.KUBECONFIG,
    namespaces: c.WATCH_NAMESPACES.split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    runtimeImage: c.RUNTIME_IMAGE,
    leaderElect: c.LEADER_ELECT,
    leaderElectionNamespace: c.LEADER_ELECTION_NAMESPACE ?? c.POD_NAMESPACE ?? 'default',
    leaderElectionId: c.LEADER_ELECTION_ID,
    leaseDurationSeconds: c.LEASE_DURATION_SECONDS,
    renewDeadlineSeconds: c.RENEW_DEADLINE_SECONDS,
    retryPeriodSeconds: c.RETRY_PERIOD_SECONDS,
    metricsAddress: address(c.METRICS_BIND_ADDRESS),
    probeAddress: address(c.HEALTH_PROBE_BIND_ADDRESS),
    workers: c.MAX_CONCURRENT_RECONCILES,
    resyncSeconds: c.RESYNC_SECONDS,
    optionalApiRetrySeconds: c.OPTIONAL_API_RETRY_SECONDS,
    logLevel: c.LOG_LEVEL,
    identity: c.POD_NAME ?? `${hostname}_${process.pid}`,
    analysis: {
      allowedPrometheusUrls: c.ANALYSIS_PROMETHEUS_URLS,
      namespaceLabel: c.ANALYSIS_NAMESPACE_LABEL,
    },
  };
}
