/**
 * The Helm chart (charts/modeldeploy): lint, what it renders for the settings users turn,
 * that the API server accepts every object (server-side dry-run), and that its RBAC grants
 * the operator exactly what it uses, checked with `kubectl auth can-i` as the chart's
 * ServiceAccount.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { KINDS } from '../../../operator/src/kube/kinds.js';
import { INFLIGHT_METRIC, LATENCY_METRIC } from '../../../operator/src/resources/hpa.js';
import { kubectl } from '../../cluster/kubectl.js';
import { serviceAccountKubeconfig } from '../../cluster/service-account.js';
import {
  CHART_DIR,
  helm,
  helmTemplate,
  parseManifests,
  valuesArgs,
  type Manifest,
} from '../../support/helm-chart.js';
import { installOperatorRbac, removeOperatorRbac } from '../../support/operator-rbac.js';
import { createNamespace, eventually, k, kOk } from '../cluster/cluster-kit.js';

const binDir = (): string => inject('binDir');

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string } };
}

interface Container {
  image: string;
  env: EnvVar[];
  ports: { name: string; containerPort: number }[];
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
  resources: Record<string, Record<string, string>>;
  securityContext: Record<string, unknown>;
}

interface PodSpec {
  serviceAccountName: string;
  securityContext: Record<string, unknown>;
  containers: Container[];
  nodeSelector?: Record<string, string>;
  tolerations?: unknown[];
  affinity?: unknown;
}

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

type Deployment = Manifest & {
  spec: { replicas: number; template: { spec: PodSpec } };
};

const render = async (values: Record<string, unknown> = {}, namespace?: string) =>
  parseManifests(await helmTemplate(binDir(), { values, namespace }));

function only<T extends Manifest = Manifest>(objs: Manifest[], kind: string, name?: string): T {
  const found = objs.filter(
    (o) => o.kind === kind && (name === undefined || o.metadata.name === name),
  );
  expect(found, `${kind}${name ? ` ${name}` : ''}`).toHaveLength(1);
  return found[0] as T;
}

function operatorContainer(objs: Manifest[]): Container {
  const container = only<Deployment>(objs, 'Deployment').spec.template.spec.containers[0];
  if (!container) throw new Error('the Deployment has no container');
  return container;
}

function envOf(objs: Manifest[]): Record<string, string> {
  return Object.fromEntries(
    operatorContainer(objs).env.map((e) => [
      e.name,
      e.value ?? `fieldRef:${e.valueFrom?.fieldRef?.fieldPath ?? '?'}`,
    ]),
  );
}

/** "group/resource: verbs" lines, sorted, so a rule set compares as one readable value. */
function grants(rules: Rule[]): string[] {
  return rules
    .flatMap((r) =>
      r.apiGroups.flatMap((g) =>
        r.resources.map((res) => `${g || 'core'}/${res}: ${[...r.verbs].sort().join(',')}`),
      ),
    )
    .sort();
}

const CRUD = 'create,delete,get,list,patch,watch';
const OPERATOR_GRANTS = [
  'apps/deployments: ' + CRUD,
  'autoscaling/horizontalpodautoscalers: ' + CRUD,
  'core/pods: get,list,watch',
  'core/secrets: create,get',
  'core/services: ' + CRUD,
  'events.k8s.io/events: create,patch',
  'gateway.networking.k8s.io/grpcroutes: ' + CRUD,
  'gateway.networking.k8s.io/httproutes: ' + CRUD,
  'modeldeploy.io/modeldeployments: get,list,watch',
  'modeldeploy.io/modeldeployments/finalizers: update',
  'modeldeploy.io/modeldeployments/status: get,patch,update',
  'policy/poddisruptionbudgets: ' + CRUD,
].sort();

const NON_DEFAULT_VALUES: Record<string, Record<string, unknown>> = {
  'replicaCount 2': { replicaCount: 2 },
  watchNamespaces: { watchNamespaces: ['team-a', 'team-b'] },
  serviceMonitor: { serviceMonitor: { enabled: true, labels: { release: 'kps' } } },
  'adapter rules': { prometheusAdapter: { rules: { enabled: true, window: '2m' } } },
  analysis: {
    analysis: {
      allowedPrometheusUrls: ['http://prometheus.monitoring.svc:9090', 'https://m.example/prom/'],
      namespaceLabel: 'namespace',
    },
  },
  placement: {
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'ops', effect: 'NoSchedule' }],
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            {
              matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] }],
            },
          ],
        },
      },
    },
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } },
  },
};

describe('helm lint', () => {
  it('passes with the default values, also with --strict', async () => {
    for (const strict of [[], ['--strict']]) {
      const res = await helm(binDir(), ['lint', CHART_DIR, ...strict]);
      expect(res.stderr + res.stdout, `helm lint ${strict.join(' ')}`).toContain(
        '0 chart(s) failed',
      );
      expect(res.code).toBe(0);
    }
  });

  it('passes --strict with every non-default values set', async () => {
    for (const [name, values] of Object.entries(NON_DEFAULT_VALUES)) {
      const res = await helm(binDir(), ['lint', '--strict', CHART_DIR, ...valuesArgs(values)]);
      expect(res.code, `${name}: ${res.stdout}${res.stderr}`).toBe(0);
    }
  });

  it('refuses values that values.schema.json rejects, naming the value', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ replicaCount: 0 }, /replicaCount/],
      [{ logLevel: 'loud' }, /logLevel/],
      [{ watchNamespaces: ['Not_A_Namespace'] }, /watchNamespaces/],
      [{ prometheusAdapter: { rules: { window: 'a minute' } } }, /window/],
      [{ analysis: { allowedPrometheusUrls: ['prometheus:9090'] } }, /allowedPrometheusUrls/],
      [{ analysis: { namespaceLabel: 'kubernetes-namespace' } }, /namespaceLabel/],
      [{ replicaCont: 2 }, /replicaCont/],
    ];
    for (const [values, message] of cases) {
      const res = await helm(binDir(), ['lint', CHART_DIR, ...valuesArgs(values)]);
      expect(res.code, JSON.stringify(values)).not.toBe(0);
      expect(res.stdout + res.stderr).toMatch(message);
    }
  });
});

describe('helm template', () => {
  it('renders the operator with defaults: one replica, no leader election, a ClusterRole', async () => {
    const objs = await render({}, 'md-system');
    const kinds = objs.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    expect(kinds).toEqual([
      'ClusterRole/modeldeploy',
      'ClusterRole/modeldeploy-edit',
      'ClusterRole/modeldeploy-view',
      'ClusterRoleBinding/modeldeploy',
      'Deployment/modeldeploy',
      'Service/modeldeploy-metrics',
      'ServiceAccount/modeldeploy',
    ]);
    for (const o of objs) {
      expect(o.metadata.labels).toMatchObject({
        'app.kubernetes.io/name': 'modeldeploy',
        'app.kubernetes.io/instance': 'modeldeploy',
        'app.kubernetes.io/version': '0.1.0',
        'app.kubernetes.io/managed-by': 'Helm',
        'helm.sh/chart': 'modeldeploy-0.1.0',
      });
    }

    const deployment = only<Deployment>(objs, 'Deployment');
    expect(deployment.metadata.namespace).toBe('md-system');
    expect(deployment.spec.replicas).toBe(1);
    const pod = deployment.spec.template.spec;
    expect(pod.serviceAccountName).toBe('modeldeploy');
    const c = operatorContainer(objs);
    expect(c.image).toBe('modeldeploy/operator:0.1.0');
    expect(envOf(objs)).toEqual({
      WATCH_NAMESPACES: '',
      RUNTIME_IMAGE: 'modeldeploy/runtime:0.1.0',
      LEADER_ELECT: 'false',
      LEADER_ELECTION_NAMESPACE: 'md-system',
      LEADER_ELECTION_ID: 'modeldeploy-operator',
      POD_NAME: 'fieldRef:metadata.name',
      POD_NAMESPACE: 'fieldRef:metadata.namespace',
      METRICS_BIND_ADDRESS: ':8080',
      HEALTH_PROBE_BIND_ADDRESS: ':8081',
      MAX_CONCURRENT_RECONCILES: '4',
      RESYNC_SECONDS: '600',
      LOG_LEVEL: 'info',
      // No Prometheus is allowed until the administrator lists one (docs/canary.md).
      ANALYSIS_PROMETHEUS_URLS: '',
    });
    expect(c.ports).toEqual([
      expect.objectContaining({ name: 'metrics', containerPort: 8080 }),
      expect.objectContaining({ name: 'health', containerPort: 8081 }),
    ]);
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'health' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'health' });
    expect(c.resources.requests).toBeDefined();
    expect(c.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: 65532,
      capabilities: { drop: ['ALL'] },
    });
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 65532,
      seccompProfile: { type: 'RuntimeDefault' },
    });

    const service = only<Manifest & { spec: { ports: unknown[] } }>(objs, 'Service');
    expect(service.spec.ports).toEqual([
      { name: 'metrics', port: 8080, targetPort: 'metrics', protocol: 'TCP' },
    ]);
    const binding = only<Manifest & { subjects: unknown[] }>(objs, 'ClusterRoleBinding');
    expect(binding.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'modeldeploy', namespace: 'md-system' },
    ]);
  });

  it('grants exactly the verbs the operator uses, on every kind it touches', async () => {
    const objs = await render();
    const role = only<Manifest & { rules: Rule[] }>(objs, 'ClusterRole', 'modeldeploy');
    expect(grants(role.rules)).toEqual(OPERATOR_GRANTS);
    // Every kind in operator/src/kube/kinds.ts is granted somewhere (Leases by the
    // leader-election Role), so a new kind there without RBAC here fails this test.
    const granted = new Set(grants(role.rules).map((g) => g.split(':')[0]));
    for (const kind of Object.values(KINDS)) {
      if (kind.plural === 'leases') continue;
      const group = kind.apiVersion.includes('/') ? kind.apiVersion.split('/')[0] : 'core';
      expect(granted, `${group}/${kind.plural}`).toContain(`${group}/${kind.plural}`);
    }
  });

  it('replicaCount 2 turns on leader election with its Lease Role and a PodDisruptionBudget', async () => {
    const objs = await render({ replicaCount: 2 }, 'md-system');
    expect(envOf(objs)).toMatchObject({
      LEADER_ELECT: 'true',
      LEADER_ELECTION_NAMESPACE: 'md-system',
    });
    const pdb = only<Manifest & { spec: Record<string, unknown> }>(objs, 'PodDisruptionBudget');
    expect(pdb.spec).toEqual({
      minAvailable: 1,
      selector: {
        matchLabels: {
          'app.kubernetes.io/name': 'modeldeploy',
          'app.kubernetes.io/instance': 'modeldeploy',
        },
      },
    });
    const role = only<Manifest & { rules: Rule[] }>(objs, 'Role');
    expect(role.metadata).toMatchObject({
      name: 'modeldeploy-leader-election',
      namespace: 'md-system',
    });
    expect(grants(role.rules)).toEqual(['coordination.k8s.io/leases: create,get,update']);
    only(objs, 'RoleBinding', 'modeldeploy-leader-election');

    const single = await render({ leaderElection: { enabled: true } });
    expect(envOf(single).LEADER_ELECT).toBe('true');
    expect(single.filter((o) => o.kind === 'PodDisruptionBudget')).toEqual([]);
  });

  it('analysis values become the allow-list and namespace label the operator reads', async () => {
    const objs = await render(NON_DEFAULT_VALUES.analysis ?? {});
    expect(envOf(objs)).toMatchObject({
      ANALYSIS_PROMETHEUS_URLS: 'http://prometheus.monitoring.svc:9090,https://m.example/prom/',
      ANALYSIS_NAMESPACE_LABEL: 'namespace',
    });
  });

  it('watchNamespaces gives a Role and RoleBinding per namespace instead of the ClusterRole', async () => {
    const objs = await render({ watchNamespaces: ['team-a', 'team-b'] }, 'md-system');
    expect(envOf(objs).WATCH_NAMESPACES).toBe('team-a,team-b');
    expect(objs.filter((o) => o.kind === 'ClusterRoleBinding')).toEqual([]);
    // The only ClusterRoles left are the aggregated ones for people (view/edit).
    expect(
      objs.filter((o) => o.kind === 'ClusterRole').map((o) => o.metadata.labels ?? {}),
    ).toEqual([
      expect.objectContaining({ 'rbac.authorization.k8s.io/aggregate-to-view': 'true' }),
      expect.objectContaining({ 'rbac.authorization.k8s.io/aggregate-to-edit': 'true' }),
    ]);
    const roles = objs.filter((o): o is Manifest & { rules: Rule[] } => o.kind === 'Role');
    expect(roles.map((r) => r.metadata.namespace).sort()).toEqual(['team-a', 'team-b']);
    for (const r of roles) expect(grants(r.rules)).toEqual(OPERATOR_GRANTS);
    const bindings = objs.filter((o) => o.kind === 'RoleBinding');
    expect(bindings.map((b) => b.metadata.namespace).sort()).toEqual(['team-a', 'team-b']);
    for (const b of bindings) {
      expect(b.subjects).toEqual([
        { kind: 'ServiceAccount', name: 'modeldeploy', namespace: 'md-system' },
      ]);
    }
  });

  it('serviceMonitor.enabled adds a ServiceMonitor on the metrics port', async () => {
    const objs = await render(NON_DEFAULT_VALUES.serviceMonitor);
    const sm = only<Manifest & { spec: Record<string, unknown> }>(objs, 'ServiceMonitor');
    expect(sm.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(sm.metadata.labels).toMatchObject({ release: 'kps' });
    expect(sm.spec).toMatchObject({
      selector: { matchLabels: { 'app.kubernetes.io/name': 'modeldeploy' } },
      endpoints: [{ port: 'metrics', path: '/metrics', interval: '30s' }],
    });
  });

  it('prometheusAdapter.rules publishes exactly the HPA metric names with the configured window', async () => {
    const defaults = await render();
    expect(defaults.filter((o) => o.kind === 'ConfigMap')).toEqual([]);

    for (const window of ['1m', '2m']) {
      const objs = await render({ prometheusAdapter: { rules: { enabled: true, window } } });
      const cm = only<Manifest & { data: Record<string, string> }>(objs, 'ConfigMap');
      const config = parse(cm.data['config.yaml'] ?? '') as {
        rules: {
          seriesQuery: string;
          resources: unknown;
          name: { matches: string; as: string };
          metricsQuery: string;
        }[];
      };
      expect(config.rules.map((r) => r.name.as)).toEqual([LATENCY_METRIC, INFLIGHT_METRIC]);
      const [latency, inflight] = config.rules;
      for (const rule of config.rules) {
        expect(rule.resources).toEqual({
          overrides: { namespace: { resource: 'namespace' }, pod: { resource: 'pod' } },
        });
      }
      expect(latency?.seriesQuery).toBe(
        'modeldeploy_request_duration_seconds_bucket{namespace!="",pod!=""}',
      );
      expect(latency?.metricsQuery).toContain(
        `histogram_quantile(0.95, sum(rate(<<.Series>>{<<.LabelMatchers>>,route!~".*/(health|ready|live|metrics)(/.*)?|/inference.GRPCInferenceService/(ServerLive|ServerReady|ModelReady)"}[${window}])) by (le, <<.GroupBy>>))`,
      );
      expect(inflight?.seriesQuery).toBe('modeldeploy_inflight_requests{namespace!="",pod!=""}');
      expect(inflight?.metricsQuery).toBe(
        `sum(avg_over_time(<<.Series>>{<<.LabelMatchers>>}[${window}])) by (<<.GroupBy>>)`,
      );
    }
  });

  it('places and sizes the operator pod from values', async () => {
    const objs = await render(NON_DEFAULT_VALUES.placement);
    const pod = only<Deployment>(objs, 'Deployment').spec.template.spec;
    expect(pod.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux' });
    expect(pod.tolerations).toEqual(NON_DEFAULT_VALUES.placement?.tolerations);
    expect(pod.affinity).toEqual(NON_DEFAULT_VALUES.placement?.affinity);
    expect(operatorContainer(objs).resources).toEqual(NON_DEFAULT_VALUES.placement?.resources);
  });
});

describe('on the test cluster', () => {
  const created: string[] = [];
  const releases: string[] = [];
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'chart-test-'));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await Promise.all(created.map((ns) => k(['delete', 'namespace', ns, '--wait=false'])));
    // Cluster-scoped objects of the releases installed here; namespaces do not take them along.
    if (releases.length > 0) {
      const selector = `app.kubernetes.io/instance in (${releases.join(',')})`;
      await k(['delete', 'clusterrole,clusterrolebinding', '-l', selector]);
    }
  });

  it('helm install --wait brings the operator Deployment up with HA; NOTES say what to do next; uninstall removes it', async () => {
    const ns = await createNamespace('chart-inst');
    created.push(ns);
    const release = `inst-${ns}`;
    releases.push(release);
    const kubeconfig = ['--kubeconfig', inject('kubeconfigPath')];
    const install = await helm(binDir(), [
      'install',
      release,
      CHART_DIR,
      '--namespace',
      ns,
      ...kubeconfig,
      ...valuesArgs({ replicaCount: 2 }),
      '--wait',
      '--timeout',
      '90s',
    ]);
    expect(install.stderr, install.stderr).not.toMatch(/error/i);
    expect(install.code).toBe(0);
    expect(install.stdout).toContain('STATUS: deployed');
    expect(install.stdout).toContain('kubectl apply -f examples/minimal.yaml');
    expect(install.stdout).toContain('kubectl get mdep -w');
    // examples/minimal.yaml's model is only in the runtime-examples image, not in the default
    // runtime image: the notes say how to build it and make it the operator's runtime image.
    expect(install.stdout).toContain('bash scripts/build-images.sh runtime runtime-examples');
    expect(install.stdout).toContain(
      `helm upgrade ${release} ./charts/modeldeploy -n ${ns} --reuse-values --set runtimeImage=modeldeploy/runtime-examples:$TAG`,
    );
    expect(install.stdout).toContain(`Lease ${ns}/modeldeploy-operator`);
    const deployment = JSON.parse(
      await kOk(['-n', ns, 'get', 'deployment', `${release}-modeldeploy`, '-o', 'json']),
    ) as { status: { readyReplicas?: number } };
    expect(deployment.status.readyReplicas).toBe(2);
    await kOk(['-n', ns, 'get', 'poddisruptionbudget', `${release}-modeldeploy`]);

    const uninstall = await helm(binDir(), [
      'uninstall',
      release,
      '--namespace',
      ns,
      ...kubeconfig,
      '--wait',
    ]);
    expect(uninstall.code, uninstall.stderr).toBe(0);
    const left = await kOk([
      'get',
      'clusterrole,clusterrolebinding',
      '-l',
      `app.kubernetes.io/instance=${release}`,
      '-o',
      'name',
    ]);
    expect(left.trim()).toBe('');
    // Helm never deletes CRDs: the ModelDeployment API stays for the models still served.
    await kOk(['get', 'crd', 'modeldeployments.modeldeploy.io']);
  });

  it('NOTES go straight to examples/minimal.yaml when the runtime image already holds its model', async () => {
    const ns = await createNamespace('chart-notes');
    created.push(ns);
    const res = await helm(binDir(), [
      'install',
      `notes-${ns}`,
      CHART_DIR,
      '--namespace',
      ns,
      '--kubeconfig',
      inject('kubeconfigPath'),
      '--dry-run',
      ...valuesArgs({ runtimeImage: 'registry.example/modeldeploy/runtime-examples:1' }),
    ]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('kubectl apply -f examples/minimal.yaml');
    expect(res.stdout).not.toContain('build-images.sh');
  });

  it('the API server accepts every rendered object (server-side dry-run)', async () => {
    const ns = await createNamespace('chart-dry');
    const teamA = await createNamespace('chart-team');
    created.push(ns, teamA);
    const crds = await kOk(['get', 'crd', '-o', 'name']);
    const haveServiceMonitor = crds.includes('servicemonitors.monitoring.coreos.com');
    const sets: Record<string, Record<string, unknown>> = {
      defaults: {},
      ...NON_DEFAULT_VALUES,
      watchNamespaces: { watchNamespaces: [teamA] },
      everything: {
        replicaCount: 3,
        serviceMonitor: { enabled: true },
        prometheusAdapter: { rules: { enabled: true } },
      },
    };
    for (const [name, values] of Object.entries(sets)) {
      const objs = parseManifests(
        await helmTemplate(binDir(), {
          release: `dry-${ns}`,
          namespace: ns,
          values,
        }),
      ).filter((o) => haveServiceMonitor || o.kind !== 'ServiceMonitor');
      for (const o of objs) {
        const clusterScoped = o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding';
        const where = `${name}: ${o.kind} ${o.metadata.name}`;
        if (clusterScoped) expect(o.metadata.namespace, where).toBeUndefined();
        else expect(o.metadata.namespace, where).toMatch(/^chart-/);
      }
      const stream = objs.map((o) => stringify(o)).join('---\n');
      // No -n: every namespaced object names its namespace, as `helm template | kubectl apply` needs.
      const res = await k(['apply', '--dry-run=server', '-f', '-'], stream);
      expect(res.stderr, `${name}: ${res.stderr}`).toBe('');
      expect(res.code, name).toBe(0);
      expect(res.stdout.trim().split('\n')).toHaveLength(objs.length);
    }
    // The chart's CRD, server-side as docs/install.md tells users to upgrade it.
    const crd = await k([
      'apply',
      '--server-side',
      '--force-conflicts',
      '--field-manager=chart-test',
      '--dry-run=server',
      '-f',
      join(CHART_DIR, 'crds'),
    ]);
    expect(crd.stderr).toBe('');
    expect(crd.stdout).toContain(
      'modeldeployments.modeldeploy.io serverside-applied (server dry run)',
    );
  });

  describe('RBAC as the chart ServiceAccount', () => {
    type Check = readonly [verb: string, resource: string, expected: 'yes' | 'no', ns?: string];

    async function canI(kubeconfigPath: string, namespace: string, checks: readonly Check[]) {
      // A few kubectl processes at a time: the machine is small and shared.
      const answers: string[] = new Array<string>(checks.length).fill('');
      let next = 0;
      const worker = async (): Promise<void> => {
        for (let i = next++; i < checks.length; i = next++) {
          const [verb, resource, , ns] = checks[i] as Check;
          const scope = ns === '*' ? ['--all-namespaces'] : ['-n', ns ?? namespace];
          // "modeldeployments.modeldeploy.io/status" means the status subresource.
          const [base = resource, sub] = resource.split('/');
          const res = await kubectl(join(binDir(), 'kubectl'), kubeconfigPath, [
            'auth',
            'can-i',
            verb,
            base,
            ...(sub ? [`--subresource=${sub}`] : []),
            ...scope,
          ]);
          answers[i] = res.stdout.trim();
        }
      };
      await Promise.all(Array.from({ length: 6 }, worker));
      return checks.map(
        ([verb, resource, , ns], i) => `${verb} ${resource} ${ns ?? ''}: ${answers[i]}`,
      );
    }

    const expectedOf = (checks: readonly Check[]) =>
      checks.map(
        ([verb, resource, expected, ns]) => `${verb} ${resource} ${ns ?? ''}: ${expected}`,
      );

    async function saKubeconfig(namespace: string, name: string): Promise<string> {
      const sa = await serviceAccountKubeconfig(inject('kubeconfig'), namespace, name, {
        create: false,
      });
      const path = join(dir, `${namespace}-${name}.kubeconfig`);
      writeFileSync(path, sa.kubeconfig, { mode: 0o600 });
      return path;
    }

    it('the default install may do what the operator does and nothing more', async () => {
      const ns = await createNamespace('chart-rbac');
      const other = await createNamespace('chart-other');
      created.push(ns, other);
      const rbac = await installOperatorRbac(inject('kubeconfigPath'), binDir(), ns);
      releases.push(rbac.serviceAccount);
      expect(rbac).toEqual({ serviceAccount: `modeldeploy-${ns}`, namespace: ns });
      const path = await saKubeconfig(rbac.namespace, rbac.serviceAccount);
      const checks: Check[] = [
        ['list', 'modeldeployments.modeldeploy.io', 'yes', '*'],
        ['watch', 'modeldeployments.modeldeploy.io', 'yes', other],
        ['get', 'modeldeployments.modeldeploy.io', 'yes'],
        ['patch', 'modeldeployments.modeldeploy.io/status', 'yes', other],
        ['update', 'modeldeployments.modeldeploy.io/status', 'yes'],
        ['create', 'deployments.apps', 'yes', other],
        ['patch', 'deployments.apps', 'yes', other],
        ['delete', 'deployments.apps', 'yes', other],
        ['watch', 'deployments.apps', 'yes', '*'],
        ['create', 'services', 'yes', other],
        ['patch', 'horizontalpodautoscalers.autoscaling', 'yes', other],
        ['create', 'poddisruptionbudgets.policy', 'yes', other],
        ['create', 'httproutes.gateway.networking.k8s.io', 'yes', other],
        ['delete', 'httproutes.gateway.networking.k8s.io', 'yes', other],
        ['patch', 'grpcroutes.gateway.networking.k8s.io', 'yes', other],
        ['delete', 'grpcroutes.gateway.networking.k8s.io', 'yes', other],
        ['list', 'pods', 'yes', '*'],
        ['get', 'secrets', 'yes', other],
        ['create', 'secrets', 'yes', other],
        ['create', 'events.events.k8s.io', 'yes', other],
        ['get', 'leases.coordination.k8s.io', 'yes'],
        ['create', 'leases.coordination.k8s.io', 'yes'],
        ['update', 'leases.coordination.k8s.io', 'yes'],
        // Not needed, so not granted.
        ['list', 'secrets', 'no', other],
        ['watch', 'secrets', 'no', '*'],
        ['update', 'secrets', 'no', other],
        ['delete', 'secrets', 'no', other],
        ['delete', 'modeldeployments.modeldeploy.io', 'no', other],
        ['create', 'modeldeployments.modeldeploy.io', 'no'],
        ['update', 'modeldeployments.modeldeploy.io', 'no'],
        ['create', 'pods', 'no', other],
        ['delete', 'pods', 'no', other],
        ['update', 'deployments.apps', 'no', other],
        ['get', 'configmaps', 'no', other],
        ['create', 'events', 'no', other],
        ['delete', 'events.events.k8s.io', 'no', other],
        ['update', 'leases.coordination.k8s.io', 'no', other],
        ['delete', 'leases.coordination.k8s.io', 'no'],
        ['list', 'leases.coordination.k8s.io', 'no'],
        ['create', 'clusterroles.rbac.authorization.k8s.io', 'no'],
        ['update', 'customresourcedefinitions.apiextensions.k8s.io', 'no'],
      ];
      expect(await canI(path, ns, checks)).toEqual(expectedOf(checks));

      // removeOperatorRbac takes the cluster-wide grant away again.
      await removeOperatorRbac(inject('kubeconfigPath'), binDir(), ns);
      await eventually('the ClusterRoleBinding to stop granting', async () => {
        const [answer] = await canI(path, ns, [['list', 'pods', 'no', '*']]);
        return answer?.endsWith(': no') ? true : undefined;
      });
    });

    it('with watchNamespaces it may act in those namespaces only', async () => {
      const ns = await createNamespace('chart-rbns');
      const watched = await createNamespace('chart-watched');
      const other = await createNamespace('chart-unwatched');
      created.push(ns, watched, other);
      const rbac = await installOperatorRbac(inject('kubeconfigPath'), binDir(), ns, {
        watchNamespaces: [watched],
      });
      releases.push(rbac.serviceAccount);
      const path = await saKubeconfig(rbac.namespace, rbac.serviceAccount);
      const checks: Check[] = [
        ['list', 'modeldeployments.modeldeploy.io', 'yes', watched],
        ['create', 'deployments.apps', 'yes', watched],
        ['get', 'secrets', 'yes', watched],
        ['create', 'leases.coordination.k8s.io', 'yes'],
        ['list', 'modeldeployments.modeldeploy.io', 'no', other],
        ['list', 'modeldeployments.modeldeploy.io', 'no', '*'],
        ['create', 'deployments.apps', 'no', other],
        ['get', 'secrets', 'no', other],
        ['list', 'pods', 'no', '*'],
      ];
      expect(await canI(path, ns, checks)).toEqual(expectedOf(checks));
    });
  });
});
