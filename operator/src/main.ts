#!/usr/bin/env node
import { hostname } from 'node:os';
import { pino } from 'pino';
import { servedModelName } from './api/model-deployment.js';
import { loadConfig } from './config.js';
import { Controller } from './controller/controller.js';
import { EventRecorder } from './controller/events.js';
import { LeaderElector } from './controller/leader-election.js';
import { ControllerMetrics } from './controller/metrics.js';
import { listen, metricsServer, probeServer } from './http-endpoints.js';
import { KubeClient } from './kube/kube-client.js';
import { analyzeCanary } from './rollout/canary-analysis.js';
import { prometheusUrlAllowed } from './rollout/prometheus-url-allowlist.js';
import { analysisSpec } from './api/model-deployment-spec.js';

async function main(): Promise<void> {
  const config = loadConfig(process.argv.slice(2), process.env, hostname());
  const log = pino({
    level: config.logLevel,
    base: { component: 'modeldeploy-operator', identity: config.identity },
  });
  const metrics = new ControllerMetrics();
  const client = await KubeClient.load(config.kubeconfig, (method, code) =>
    metrics.observeRequest(method, code),
  );
  const recorder = new EventRecorder(client, config.identity, log);
  const controller = new Controller(
    client,
    {
      namespaces: config.namespaces,
      workers: config.workers,
      resyncSeconds: config.resyncSeconds,
      optionalApiRetrySeconds: config.optionalApiRetrySeconds,
    },
    metrics,
    log,
    {
      record: (obj, e) => recorder.record(obj, e),
      analyze: (md, version) => {
        const namespace = md.metadata.namespace ?? '';
        const { namespaceLabel, allowedPrometheusUrls } = config.analysis;
        return analyzeCanary({
          analysis: md.spec.canary?.analysis ?? analysisSpec.parse({}),
          namespace,
          name: md.metadata.name,
          model: servedModelName(md),
          version,
          now: new Date(),
          allowedPrometheusUrls,
          ...(namespaceLabel !== undefined
            ? { extraMatchers: { [namespaceLabel]: namespace } }
            : {}),
          log: log.child({ modelDeployment: `${namespace}/${md.metadata.name}`, part: 'analysis' }),
        });
      },
      prometheusUrlAllowed: (url) =>
        prometheusUrlAllowed(url, config.analysis.allowedPrometheusUrls),
      defaultImage: config.runtimeImage,
      now: () => new Date(),
    },
  );

  let shuttingDown = false;
  const probes = probeServer({
    live: () => true,
    ready: () => controller.hasSynced && !shuttingDown,
  });
  const metricsHttp = metricsServer(metrics.registry);
  const probePort = await listen(probes, config.probeAddress.host, config.probeAddress.port);
  const metricsPort = await listen(
    metricsHttp,
    config.metricsAddress.host,
    config.metricsAddress.port,
  );
  log.info(
    {
      probePort,
      metricsPort,
      apiServer: client.origin,
      namespaces: config.namespaces.length ? config.namespaces : 'all',
      allowedPrometheusUrls: config.analysis.allowedPrometheusUrls,
    },
    'operator starting',
  );
  if (config.analysis.allowedPrometheusUrls.length === 0) {
    log.warn(
      'no Prometheus URL is allowed for canary analysis: every spec.canary.analysis.prometheusUrl is refused; list yours in ANALYSIS_PROMETHEUS_URLS (chart value analysis.allowedPrometheusUrls)',
    );
  }

  await controller.startCaches();
  log.info('caches synced');

  let elector: LeaderElector | undefined;
  if (config.leaderElect) {
    elector = new LeaderElector(
      client,
      {
        namespace: config.leaderElectionNamespace,
        name: config.leaderElectionId,
        identity: config.identity,
        leaseDurationSeconds: config.leaseDurationSeconds,
        renewDeadlineSeconds: config.renewDeadlineSeconds,
        retryPeriodSeconds: config.retryPeriodSeconds,
      },
      log,
      (leading) => {
        metrics.leader.set({ name: config.leaderElectionId }, leading ? 1 : 0);
        if (leading) controller.startWorkers();
        else if (!shuttingDown) {
          // Another process may already act on our resources; stop at once, as controller-runtime does.
          log.error('lost leadership; exiting so a restarted process re-joins the election');
          process.exit(1);
        }
      },
    );
    elector.start();
  } else {
    controller.startWorkers();
  }

  const shutdown = async (signal: string): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    log.info({ signal }, 'shutting down: finishing reconciles in progress');
    await controller.stop();
    await elector?.stop();
    probes.close();
    metricsHttp.close();
    client.close();
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  console.error(
    JSON.stringify({ level: 'fatal', msg: 'operator failed to start', err: String(err) }),
  );
  process.exit(1);
});
