import type { ClusterPki } from './pki.js';

/** Ports of one cluster, all free-picked on 127.0.0.1. */
export interface ClusterPorts {
  readonly etcdClient: number;
  readonly etcdPeer: number;
  readonly apiserver: number;
  readonly controllerManager: number;
  readonly scheduler: number;
  readonly kwok: number;
}

/** Files of one cluster, all under its temp dir. */
export interface ClusterLayout {
  readonly tempDir: string;
  readonly etcdDataDir: string;
  readonly pki: ClusterPki;
  readonly controllerManagerKubeconfig: string;
  readonly schedulerKubeconfig: string;
  readonly kwokKubeconfig: string;
  readonly kwokConfig: string;
}

export const SERVICE_CIDR = '10.96.0.0/16';
export const POD_CIDR = '10.244.0.1/16';
export const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

export function etcdArgs(layout: ClusterLayout, ports: ClusterPorts): string[] {
  const client = `http://127.0.0.1:${ports.etcdClient}`;
  const peer = `http://127.0.0.1:${ports.etcdPeer}`;
  return [
    '--name=default',
    `--data-dir=${layout.etcdDataDir}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=default=${peer}`,
    // Test data is thrown away; fsync only slows every write on a shared CI disk.
    '--unsafe-no-fsync',
    '--log-level=warn',
  ];
}

export function apiserverArgs(
  layout: ClusterLayout,
  ports: ClusterPorts,
  extra: readonly string[] = [],
): string[] {
  const { pki } = layout;
  return [
    `--etcd-servers=http://127.0.0.1:${ports.etcdClient}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${ports.apiserver}`,
    `--tls-cert-file=${pki.apiserver.certFile}`,
    `--tls-private-key-file=${pki.apiserver.keyFile}`,
    `--client-ca-file=${pki.ca.certFile}`,
    '--authorization-mode=Node,RBAC',
    // As OpenShift and hardened clusters run it: children with blockOwnerDeletion are admitted
    // only for a client that may update modeldeployments/finalizers (the chart grants it).
    '--enable-admission-plugins=OwnerReferencesPermissionEnforcement',
    `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
    `--service-account-key-file=${pki.serviceAccountPub}`,
    `--service-account-signing-key-file=${pki.serviceAccountKey}`,
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    '--allow-privileged=true',
    // The reconciler would publish 127.0.0.1, which Endpoints reject as loopback. With a
    // real node the harness publishes the node's relay instead (kubernetes-endpoints.ts);
    // kwok's fake pods never call the API.
    '--endpoint-reconciler-type=none',
    // Aggregation layer (metrics APIs, e.g. prometheus-adapter later).
    `--requestheader-client-ca-file=${pki.frontProxyCa.certFile}`,
    '--requestheader-allowed-names=front-proxy-client',
    '--requestheader-extra-headers-prefix=X-Remote-Extra-',
    '--requestheader-group-headers=X-Remote-Group',
    '--requestheader-username-headers=X-Remote-User',
    `--proxy-client-cert-file=${pki.frontProxyClient.certFile}`,
    `--proxy-client-key-file=${pki.frontProxyClient.keyFile}`,
    '--enable-aggregator-routing=true',
    '--profiling=false',
    '--v=1',
    ...extra,
  ];
}

/** Flags both kube-controller-manager and kube-scheduler take for their own serving. */
function componentServingArgs(kubeconfig: string, port: number): string[] {
  return [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${port}`,
    // One instance per cluster: skipping the election saves its acquire delay at startup.
    '--leader-elect=false',
    '--profiling=false',
  ];
}

export function controllerManagerArgs(
  layout: ClusterLayout,
  ports: ClusterPorts,
  extra: readonly string[] = [],
): string[] {
  const { pki } = layout;
  return [
    ...componentServingArgs(layout.controllerManagerKubeconfig, ports.controllerManager),
    // Each controller acts with its own ServiceAccount, as in a real cluster, so RBAC
    // mistakes in what we create show up here too.
    '--use-service-account-credentials=true',
    `--service-account-private-key-file=${pki.serviceAccountKey}`,
    `--root-ca-file=${pki.ca.certFile}`,
    `--cluster-signing-cert-file=${pki.ca.certFile}`,
    `--cluster-signing-key-file=${pki.ca.keyFile}`,
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    '--controllers=*',
    '--v=1',
    ...extra,
  ];
}

export function schedulerArgs(layout: ClusterLayout, ports: ClusterPorts): string[] {
  return [...componentServingArgs(layout.schedulerKubeconfig, ports.scheduler), '--v=1'];
}

/** Annotation that marks a Node as kwok's to simulate (kwok's documented convention). */
export const KWOK_NODE_ANNOTATION = 'kwok.x-k8s.io/node';

export function kwokArgs(layout: ClusterLayout, ports: ClusterPorts): string[] {
  return [
    `--config=${layout.kwokConfig}`,
    `--kubeconfig=${layout.kwokKubeconfig}`,
    '--manage-all-nodes=false',
    `--manage-nodes-with-annotation-selector=${KWOK_NODE_ANNOTATION}=fake`,
    `--cidr=${POD_CIDR}`,
    '--node-ip=10.244.0.1',
    `--server-address=127.0.0.1:${ports.kwok}`,
    '--node-lease-duration-seconds=40',
  ];
}

/**
 * kwok's configuration file: the stages (node initialize + heartbeat, pod ready,
 * complete, delete) copied from the kwok module by build-tools.sh, as YAML documents.
 */
/**
 * The runtime env variable a test sets on a ModelDeployment (spec.runtime.env) to make its
 * pods take that long to become Ready on kwok nodes, as a real model load does ("4s").
 */
export const KWOK_READY_DELAY_ENV = 'KWOK_READY_DELAY';

/**
 * kwok's "fast" pod-ready stage marks every pod Ready at once. Status tests need pods that
 * are still starting, so the stage reads an optional delay from the pod's first container's
 * KWOK_READY_DELAY env variable; pods without it stay instant.
 */
function withReadyDelay(stageDocument: string): string {
  if (!/^\s*name: pod-ready\s*$/m.test(stageDocument)) return stageDocument;
  const delay = [
    'spec:',
    '  delay:',
    '    durationMilliseconds: 0',
    '    durationFrom:',
    `      expressionFrom: '.spec.containers[0].env[]? | select(.name == "${KWOK_READY_DELAY_ENV}") | .value'`,
  ].join('\n');
  return stageDocument.replace(/^spec:$/m, delay);
}

export function kwokConfig(stageDocuments: readonly string[]): string {
  // The parallelism options must be explicit: with a config file kwok v0.8 does not
  // default them and refuses to start ("node leases parallelism must be greater than 0").
  const header = [
    'apiVersion: config.kwok.x-k8s.io/v1alpha1',
    'kind: KwokConfiguration',
    'options:',
    '  nodeLeaseParallelism: 4',
    '  nodePlayStageParallelism: 4',
    '  podPlayStageParallelism: 4',
    '  podsOnNodeSyncParallelism: 2',
    '',
  ].join('\n');
  return [header, ...stageDocuments.map((d) => withReadyDelay(d).trim() + '\n')].join('---\n');
}

export interface FakeNodeOptions {
  readonly name: string;
  readonly cpu: string;
  readonly memory: string;
  readonly pods: string;
}

/** A Node object kwok will pretend to run; no taint, so ordinary pods land on it. */
export function fakeNode(opts: FakeNodeOptions): Record<string, unknown> {
  const resources = { cpu: opts.cpu, memory: opts.memory, pods: opts.pods };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: opts.name,
      annotations: { [KWOK_NODE_ANNOTATION]: 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: {
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/os': 'linux',
        'kubernetes.io/hostname': opts.name,
        'node-role.kubernetes.io/agent': '',
        type: 'kwok',
      },
    },
    spec: {},
    status: { allocatable: resources, capacity: resources },
  };
}
