/**
 * A real Kubernetes control plane for tests: etcd, kube-apiserver (TLS, RBAC,
 * ServiceAccount tokens), kube-controller-manager, kube-scheduler and kwok fake nodes,
 * all on free loopback ports, all torn down with nothing left behind. With
 * `realNode: true`, also one real node (containerd, kubelet, kube-proxy; real-node.ts).
 *
 *   const cluster = await startCluster();
 *   ... KUBECONFIG=cluster.kubeconfigPath ...
 *   await cluster.stop();
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiCall, apiRequest } from './api-client.js';
import {
  apiserverArgs,
  controllerManagerArgs,
  etcdArgs,
  fakeNode,
  kwokArgs,
  kwokConfig,
  schedulerArgs,
  type ClusterLayout,
  type ClusterPorts,
} from './components.js';
import { buildKubeconfig, type ApiCredentials } from './kubeconfig.js';
import { kubectl, kubectlOk, type KubectlResult } from './kubectl.js';
import { publishKubernetesEndpoints } from './kubernetes-endpoints.js';
import { ensureCoreDns } from './coredns.js';
import type { NodePorts } from './node-config.js';
import { ensureNodeTools, type NodeTools } from './node-tools.js';
import {
  createClusterPki,
  createNodePki,
  readCredentials,
  type ClusterPki,
  type KeyPairFiles,
  type NodePki,
} from './pki.js';
import { isPortRace, pickFreePorts } from './ports.js';
import {
  isAlive,
  processesMentioning,
  ProcessSupervisor,
  type Component,
  type StartSpec,
} from './processes.js';
import { crdsNotEstablished, healthy, nodesReady, waitFor } from './readiness.js';
import {
  serviceAccountKubeconfig,
  type ServiceAccountCredentials,
  type ServiceAccountKubeconfigOptions,
} from './service-account.js';
import {
  REAL_NODE_IP,
  REAL_NODE_NAME,
  REAL_NODE_POD_CIDR,
  startRealNode,
  type RealNode,
} from './real-node.js';
import { ensureTools, REPO_ROOT, type ClusterTools } from './tools.js';

export interface StartClusterOptions {
  /** Number of kwok fake nodes (default 1). */
  readonly nodes?: number;
  /** Allocatable resources of each fake node (defaults: 32 CPU, 256Gi, 110 pods). */
  readonly nodeCpu?: string;
  readonly nodeMemory?: string;
  readonly nodePods?: string;
  /** CRD manifests to install; default crds/*.yaml of the repository. */
  readonly crdFiles?: readonly string[];
  /** Install the Gateway API standard CRDs (default true). */
  readonly gatewayApi?: boolean;
  /**
   * Gateway API kinds to leave out, by plural (e.g. ['grpcroutes']): a cluster with an older
   * bundle, to test what the operator does without them.
   */
  readonly gatewayApiWithout?: readonly string[];
  /** Extra flags, e.g. ['--horizontal-pod-autoscaler-sync-period=5s']. */
  readonly apiserverArgs?: readonly string[];
  readonly controllerManagerArgs?: readonly string[];
  /** Keep component logs here instead of the temp dir (which is removed on stop). */
  readonly logDir?: string;
  /** Startup deadline after the tools exist (default 90 s). */
  readonly readyTimeoutMs?: number;
  /** Progress lines; default silent. */
  readonly log?: (line: string) => void;
  /**
   * Also run one real node (containerd, kubelet, kube-proxy) named `real-node`, beside
   * the kwok nodes; needs root and scripts/node-setup.sh (see realNodeSupport()).
   */
  readonly realNode?: boolean;
  /**
   * Docker images to import into the real node's containerd; default: those of
   * DEFAULT_NODE_IMAGES that exist (scripts/build-images.sh builds them).
   */
  readonly nodeImages?: readonly string[];
}

/** The real node of a cluster started with `realNode: true`. */
export interface ClusterRealNode {
  readonly name: string;
  /** Its InternalIP (the pod bridge's gateway address on this machine). */
  readonly ip: string;
  readonly podCidr: string;
  /** Images in its containerd besides the pause image. */
  readonly images: readonly string[];
  /** Milliseconds from startCluster() (after the tools existed) to the Node being Ready. */
  readonly readyMs: number;
}

export interface ServiceAccountKubeconfig extends ServiceAccountCredentials {
  /** The kubeconfig written to a file in the cluster's temp dir. */
  readonly path: string;
}

export interface Cluster {
  /** Admin kubeconfig file (client certificate in system:masters). */
  readonly kubeconfigPath: string;
  /** The same kubeconfig as text, credentials inline. */
  readonly kubeconfig: string;
  /** https://127.0.0.1:<port> */
  readonly server: string;
  /** Directory with etcd, kube-*, kubectl, kwok and helm. */
  readonly binDir: string;
  readonly tools: ClusterTools;
  readonly tempDir: string;
  readonly logDir: string;
  readonly nodeNames: readonly string[];
  /** Set when started with `realNode: true`. */
  readonly realNode?: ClusterRealNode;
  /** Milliseconds from startCluster() (after the tools existed) to ready. */
  readonly startupMs: number;
  /** Pids of the running components (for leak checks). */
  pids(): number[];
  /** kubectl as the admin; resolves with code/stdout/stderr, never rejects on exit code. */
  kubectl(args: readonly string[], stdin?: string): Promise<KubectlResult>;
  /** A kubeconfig acting as ServiceAccount namespace/name (TokenRequest API). */
  serviceAccountKubeconfig(
    namespace: string,
    name: string,
    opts?: ServiceAccountKubeconfigOptions,
  ): Promise<ServiceAccountKubeconfig>;
  /** Stop kube-apiserver and start it again on the same port; resolves when /readyz is ok. */
  restartApiServer(): Promise<void>;
  /** Stop everything, remove the temp dir, and throw if any process survived. */
  stop(): Promise<void>;
}

type Log = (line: string) => void;

function repoCrdFiles(): string[] {
  const dir = join(REPO_ROOT, 'crds');
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .sort()
      .map((f) => join(dir, f));
  } catch {
    return [];
  }
}

function writeLayout(tempDir: string, pki: ClusterPki, tools: ClusterTools): ClusterLayout {
  const layout: ClusterLayout = {
    tempDir,
    etcdDataDir: join(tempDir, 'etcd'),
    pki,
    controllerManagerKubeconfig: join(tempDir, 'controller-manager.kubeconfig'),
    schedulerKubeconfig: join(tempDir, 'scheduler.kubeconfig'),
    kwokKubeconfig: join(tempDir, 'kwok.kubeconfig'),
    kwokConfig: join(tempDir, 'kwok.yaml'),
  };
  const stages = tools.kwokStageFiles.map((f) => readFileSync(f, 'utf8'));
  writeFileSync(layout.kwokConfig, kwokConfig(stages));
  return layout;
}

function identityKubeconfig(
  server: string,
  pki: ClusterPki,
  user: string,
  pair: KeyPairFiles,
): string {
  return buildKubeconfig({
    server,
    caData: readFileSync(pki.ca.certFile),
    userName: user,
    auth: {
      kind: 'cert',
      certData: readFileSync(pair.certFile),
      keyData: readFileSync(pair.keyFile),
    },
  });
}

function writeComponentKubeconfigs(layout: ClusterLayout, server: string): void {
  const { pki } = layout;
  const files: [string, string, KeyPairFiles][] = [
    [layout.controllerManagerKubeconfig, 'system:kube-controller-manager', pki.controllerManager],
    [layout.schedulerKubeconfig, 'system:kube-scheduler', pki.scheduler],
    [layout.kwokKubeconfig, 'kwok-controller', pki.kwok],
  ];
  for (const [path, user, pair] of files) {
    writeFileSync(path, identityKubeconfig(server, pki, user, pair), { mode: 0o600 });
  }
}

async function apiReady(admin: ApiCredentials): Promise<boolean> {
  const res = await apiRequest(admin, 'GET', '/readyz', undefined, 2_000);
  return res.status === 200;
}

async function createNodes(
  admin: ApiCredentials,
  names: readonly string[],
  opts: StartClusterOptions,
): Promise<void> {
  for (const name of names) {
    const node = fakeNode({
      name,
      cpu: opts.nodeCpu ?? '32',
      memory: opts.nodeMemory ?? '256Gi',
      pods: opts.nodePods ?? '110',
    });
    await apiCall(admin, 'POST', '/api/v1/nodes', node);
  }
}

async function applyCrds(
  tools: ClusterTools,
  kubeconfigPath: string,
  files: readonly string[],
): Promise<void> {
  if (files.length === 0) return;
  // Server-side apply: CRDs with large schemas exceed the client-side annotation limit.
  const args = [
    'apply',
    '--server-side',
    '--force-conflicts',
    '--field-manager=modeldeploy-test-harness',
  ];
  await kubectlOk(tools.bin.kubectl, kubeconfigPath, [...args, ...files.flatMap((f) => ['-f', f])]);
}

/** The bundle's CRD files, less those of the plurals named (files are <group>_<plural>.yaml). */
function gatewayApiCrds(tools: ClusterTools, without: readonly string[]): readonly string[] {
  return tools.gatewayApiCrdFiles.filter(
    (file) => !without.some((plural) => file.endsWith(`_${plural}.yaml`)),
  );
}

/** Start a cluster. Builds or reuses the tools first (see build-tools.sh). */
export async function startCluster(opts: StartClusterOptions = {}): Promise<Cluster> {
  const log: Log = opts.log ?? ((): void => undefined);
  const [tools, nodeTools, coreDns] = await Promise.all([
    ensureTools(),
    opts.realNode === true ? ensureNodeTools() : Promise.resolve(undefined),
    opts.realNode === true ? ensureCoreDns() : Promise.resolve(undefined),
  ]);
  for (let attempt = 1; ; attempt++) {
    const began = Date.now();
    const tempDir = mkdtempSync(join(tmpdir(), 'modeldeploy-cluster-'));
    const supervisor = new ProcessSupervisor(tempDir);
    const started: { node?: RealNode } = {};
    try {
      return await boot({
        tools,
        nodeTools,
        coreDns,
        tempDir,
        supervisor,
        opts,
        log,
        began,
        started,
      });
    } catch (error) {
      await started.node?.stop();
      await supervisor.stopAll(1_000);
      if (attempt < 3 && isPortRace(error)) {
        log(`a picked port was taken before its component bound it; retrying (${attempt}/2)`);
        continue;
      }
      throw error;
    }
  }
}

// Free ports are picked, released, then bound by the components; another process can
// grab one in between. The error then carries the component's log saying so.
export { isPortRace };

/** The API server's side of talking to a real kubelet (logs, exec, port-forward). */
function kubeletClientArgs(pki: ClusterPki, nodePki: NodePki): string[] {
  return [
    `--kubelet-client-certificate=${nodePki.apiserverKubeletClient.certFile}`,
    `--kubelet-client-key=${nodePki.apiserverKubeletClient.keyFile}`,
    `--kubelet-certificate-authority=${pki.ca.certFile}`,
    // The node registers its name as a Hostname address, which nothing here resolves.
    '--kubelet-preferred-address-types=InternalIP',
  ];
}

/** One start attempt: startCluster() makes a fresh one (temp dir, supervisor) per retry. */
interface BootAttempt {
  readonly tools: ClusterTools;
  /** Set when a real node was asked for. */
  readonly nodeTools: NodeTools | undefined;
  /** The CoreDNS binary, when a real node was asked for. */
  readonly coreDns: string | undefined;
  readonly tempDir: string;
  readonly supervisor: ProcessSupervisor;
  readonly opts: StartClusterOptions;
  readonly log: Log;
  /** When the attempt began: every "after N ms" line and startupMs count from here. */
  readonly began: number;
  /** Filled as soon as the real node runs, so a failed attempt can still stop it. */
  readonly started: { node?: RealNode };
}

/** An attempt with its certificates, ports and kubeconfigs written: what every step reads. */
interface Booting extends BootAttempt {
  readonly timeoutMs: number;
  readonly logDir: string;
  readonly pki: ClusterPki;
  /** Set when a real node was asked for. */
  readonly nodePki: NodePki | undefined;
  readonly ports: ClusterPorts;
  /** Picked even without a real node, so the port list has one shape. */
  readonly nodePorts: NodePorts;
  /** https://127.0.0.1:<apiserver port> */
  readonly server: string;
  readonly layout: ClusterLayout;
  readonly kubeconfig: string;
  readonly kubeconfigPath: string;
  readonly admin: ApiCredentials;
  readonly nodeNames: readonly string[];
  /** The CRD manifests installCrds() applies. */
  readonly crdFiles: readonly string[];
  /** A StartSpec whose log goes to logDir/<name>.log. */
  spec(name: string, binary: string, args: string[]): StartSpec;
}

/** etcd and a ready kube-apiserver. */
interface ControlPlane {
  readonly etcd: Component;
  readonly apiserver: Component;
  /** Kept to start kube-apiserver again on the same port (restartApiServer). */
  readonly apiserverSpec: StartSpec;
}

/** A real node whose Node object is Ready. */
interface ReadyRealNode {
  readonly node: RealNode;
  /** Milliseconds from the attempt's start to Ready. */
  readonly readyMs: number;
}

/** Waits for `what` while watching components for early exits, then logs the time taken. */
type Wait = (what: string, check: () => Promise<boolean>) => Promise<void>;

async function boot(attempt: BootAttempt): Promise<Cluster> {
  const booting = await prepare(attempt);
  const plane = await startControlPlane(booting);
  const controllers = startControllers(booting);
  const watch = [plane.etcd, plane.apiserver, ...controllers];
  const { nodeNames, crdFiles } = booting;
  const wait: Wait = async (what, check) => {
    await waitFor(what, check, { timeoutMs: booting.timeoutMs, watch });
    booting.log(`${what} after ${Date.now() - booting.began} ms`);
  };
  // The real node starts first: it is the slowest step, and everything else runs beside it.
  const realNodeStart = startRealNodeIfAsked(booting, watch);
  await Promise.all([
    realNodeStart,
    startNodes(booting, wait),
    installCrds(booting, wait),
    waitForControllers(booting, wait),
  ]);
  const startupMs = Date.now() - booting.began;
  const realNode = await realNodeStart;
  booting.log(
    `cluster ready in ${startupMs} ms (${nodeNames.length} kwok node(s)${realNode === undefined ? '' : `, real node ${realNode.node.name}`}, ${crdFiles.length} CRD file(s))`,
  );
  return clusterHandle({ booting, plane, controllers, realNode, startupMs });
}

/** Directories, PKI, ports, kubeconfigs and the node and CRD lists: all decided before a process starts. */
async function prepare(attempt: BootAttempt): Promise<Booting> {
  const { opts, tempDir, nodeTools, tools } = attempt;
  const logDir = opts.logDir ?? process.env['MODELDEPLOY_CLUSTER_LOGS'] ?? join(tempDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  mkdirSync(join(tempDir, 'pki'));
  const [portList, pki] = await Promise.all([
    pickFreePorts(10),
    createClusterPki(join(tempDir, 'pki')),
  ]);
  const nodePki =
    nodeTools === undefined ? undefined : await createNodePki(pki, REAL_NODE_NAME, REAL_NODE_IP);
  const [etcdClient, etcdPeer, apiserver, controllerManager, scheduler, kwok, ...rest] =
    portList as [number, number, number, number, number, number, number, number, number, number];
  const [kubelet, kubeletHealthz, kubeProxyHealthz, kubeProxyMetrics] = rest as [
    number,
    number,
    number,
    number,
  ];
  const ports: ClusterPorts = {
    etcdClient,
    etcdPeer,
    apiserver,
    controllerManager,
    scheduler,
    kwok,
  };
  const server = `https://127.0.0.1:${ports.apiserver}`;
  const layout = writeLayout(tempDir, pki, tools);
  writeComponentKubeconfigs(layout, server);
  const kubeconfig = identityKubeconfig(server, pki, 'modeldeploy-admin', pki.admin);
  const kubeconfigPath = join(tempDir, 'kubeconfig');
  writeFileSync(kubeconfigPath, kubeconfig, { mode: 0o600 });
  const admin: ApiCredentials = {
    server,
    ...toAuth(await readCredentials(pki.ca.certFile, pki.admin)),
  };
  return {
    ...attempt,
    timeoutMs: opts.readyTimeoutMs ?? 90_000,
    logDir,
    pki,
    nodePki,
    ports,
    nodePorts: { kubelet, kubeletHealthz, kubeProxyHealthz, kubeProxyMetrics },
    server,
    layout,
    kubeconfig,
    kubeconfigPath,
    admin,
    nodeNames: Array.from({ length: opts.nodes ?? 1 }, (_, i) => `kwok-node-${i}`),
    crdFiles: [
      ...(opts.crdFiles ?? repoCrdFiles()),
      ...((opts.gatewayApi ?? true) ? gatewayApiCrds(tools, opts.gatewayApiWithout ?? []) : []),
    ],
    spec: (name, binary, args) => ({ name, binary, args, logFile: join(logDir, `${name}.log`) }),
  };
}

/** etcd and kube-apiserver; resolves once /readyz is ok. */
async function startControlPlane(booting: Booting): Promise<ControlPlane> {
  const { nodePki, pki, opts } = booting;
  const apiserverSpec = booting.spec(
    'kube-apiserver',
    booting.tools.bin['kube-apiserver'],
    apiserverArgs(booting.layout, booting.ports, [
      ...(nodePki === undefined ? [] : kubeletClientArgs(pki, nodePki)),
      ...(opts.apiserverArgs ?? []),
    ]),
  );
  // The API server retries etcd while it starts, so both start together.
  booting.log(`starting etcd and kube-apiserver on ${booting.server}`);
  const etcd = booting.supervisor.start(
    booting.spec('etcd', booting.tools.bin.etcd, etcdArgs(booting.layout, booting.ports)),
  );
  const apiserver = booting.supervisor.start(apiserverSpec);
  await waitFor('kube-apiserver /readyz', () => apiReady(booting.admin), {
    timeoutMs: booting.timeoutMs,
    watch: [etcd, apiserver],
  });
  booting.log(`kube-apiserver ready after ${Date.now() - booting.began} ms`);
  return { etcd, apiserver, apiserverSpec };
}

/** kube-controller-manager, kube-scheduler and kwok, in this order; waitForControllers() checks them. */
function startControllers(booting: Booting): Component[] {
  const { layout, ports, tools, supervisor } = booting;
  return [
    supervisor.start(
      booting.spec(
        'kube-controller-manager',
        tools.bin['kube-controller-manager'],
        controllerManagerArgs(layout, ports, booting.opts.controllerManagerArgs),
      ),
    ),
    supervisor.start(
      booting.spec('kube-scheduler', tools.bin['kube-scheduler'], schedulerArgs(layout, ports)),
    ),
    supervisor.start(booting.spec('kwok', tools.bin.kwok, kwokArgs(layout, ports))),
  ];
}

/** The real node when one was asked for; resolves once its Node object is Ready. */
async function startRealNodeIfAsked(
  booting: Booting,
  watch: readonly Component[],
): Promise<ReadyRealNode | undefined> {
  const { nodeTools, nodePki, pki, server, coreDns } = booting;
  if (nodeTools === undefined || nodePki === undefined || coreDns === undefined) return undefined;
  booting.log(`starting the real node ${REAL_NODE_NAME} (containerd, kubelet, kube-proxy)`);
  const node = await startRealNode({
    tempDir: booting.tempDir,
    logDir: booting.logDir,
    pki,
    nodePki,
    ports: booting.nodePorts,
    tools: nodeTools,
    supervisor: booting.supervisor,
    apiServerPort: booting.ports.apiserver,
    coreDns,
    adminKubeconfigPath: booting.kubeconfigPath,
    kubeletKubeconfig: identityKubeconfig(
      server,
      pki,
      `system:node:${REAL_NODE_NAME}`,
      nodePki.kubeletClient,
    ),
    kubeProxyKubeconfig: identityKubeconfig(server, pki, 'system:kube-proxy', nodePki.kubeProxy),
    clusterCidr: REAL_NODE_POD_CIDR,
    ...(booting.opts.nodeImages === undefined ? {} : { images: booting.opts.nodeImages }),
    log: booting.log,
  });
  booting.started.node = node;
  await waitFor(
    `real node ${REAL_NODE_NAME} Ready`,
    async () => nodesReady(await apiCall(booting.admin, 'GET', '/api/v1/nodes'), [REAL_NODE_NAME]),
    { timeoutMs: Math.max(booting.timeoutMs, 120_000), watch: [...watch, ...node.components] },
  );
  await publishKubernetesEndpoints(booting.admin, node.apiServerAddress);
  const readyMs = Date.now() - booting.began;
  booting.log(
    `real node ${node.name} Ready after ${readyMs} ms; pods reach the API server through the kubernetes Service at ${node.apiServerAddress}`,
  );
  return { node, readyMs };
}

/** The kwok fake nodes; resolves once kwok reports them Ready. */
async function startNodes(booting: Booting, wait: Wait): Promise<void> {
  const { nodeNames } = booting;
  await createNodes(booting.admin, nodeNames, booting.opts);
  await wait('kwok nodes Ready', async () =>
    nodesReady(await apiCall(booting.admin, 'GET', '/api/v1/nodes'), nodeNames),
  );
}

/** Apply the CRDs; resolves once every CRD is Established. */
async function installCrds(booting: Booting, wait: Wait): Promise<void> {
  await applyCrds(booting.tools, booting.kubeconfigPath, booting.crdFiles);
  await wait(
    'CRDs Established',
    async () =>
      crdsNotEstablished(
        await apiCall(
          booting.admin,
          'GET',
          '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
        ),
      ).length === 0,
  );
}

/** The controllers startControllers() started are serving. */
async function waitForControllers(booting: Booting, wait: Wait): Promise<void> {
  await Promise.all([
    // Pods are refused until the controller manager has made the default ServiceAccount.
    wait(
      'ServiceAccount default/default',
      async () =>
        (
          await apiRequest(
            booting.admin,
            'GET',
            '/api/v1/namespaces/default/serviceaccounts/default',
          )
        ).status === 200,
    ),
    wait('kube-controller-manager /healthz', () =>
      healthy(`https://127.0.0.1:${booting.ports.controllerManager}/healthz`),
    ),
    wait('kube-scheduler /readyz', () =>
      healthy(`https://127.0.0.1:${booting.ports.scheduler}/readyz`),
    ),
  ]);
}

/** What Cluster.realNode tells a test about the node. */
function describeRealNode(ready: ReadyRealNode): ClusterRealNode {
  const { name, ip, podCidr, images } = ready.node;
  return { name, ip, podCidr, images, readyMs: ready.readyMs };
}

/** The Cluster a ready boot hands back: kubectl, ServiceAccounts, restart and stop. */
function clusterHandle(ready: {
  readonly booting: Booting;
  readonly plane: ControlPlane;
  readonly controllers: readonly Component[];
  readonly realNode: ReadyRealNode | undefined;
  readonly startupMs: number;
}): Cluster {
  const { booting, plane, controllers, startupMs } = ready;
  const { tools, tempDir, kubeconfig, kubeconfigPath, supervisor, log } = booting;
  const readyNode = ready.realNode;
  const realNode = readyNode?.node;
  const { etcd } = plane;
  // restartApiServer() replaces it.
  let apiserverProc = plane.apiserver;
  const components = (): Component[] => [
    etcd,
    apiserverProc,
    ...controllers,
    ...(realNode?.components ?? []),
  ];
  let stopped = false;
  return {
    kubeconfigPath,
    kubeconfig,
    server: booting.server,
    binDir: tools.binDir,
    tools,
    tempDir,
    logDir: booting.logDir,
    nodeNames: booting.nodeNames,
    ...(readyNode === undefined ? {} : { realNode: describeRealNode(readyNode) }),
    startupMs,
    pids: () =>
      components()
        .filter((c) => !c.hasExited())
        .map((c) => c.pid),
    kubectl: (args, stdin) => kubectl(tools.bin.kubectl, kubeconfigPath, args, stdin),
    async serviceAccountKubeconfig(namespace, name, saOpts) {
      const creds = await serviceAccountKubeconfig(kubeconfig, namespace, name, saOpts);
      const path = join(tempDir, `sa-${namespace}-${name}.kubeconfig`);
      writeFileSync(path, creds.kubeconfig, { mode: 0o600 });
      return { ...creds, path };
    },
    async restartApiServer() {
      log('restarting kube-apiserver');
      await supervisor.stop(apiserverProc);
      apiserverProc = supervisor.start(plane.apiserverSpec);
      await waitFor('kube-apiserver /readyz after restart', () => apiReady(booting.admin), {
        timeoutMs: booting.timeoutMs,
        watch: [etcd, apiserverProc],
      });
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      const pids = components().map((c) => c.pid);
      // The real node first: its containers, mounts, bridge, cgroups and iptables chains
      // must be gone before the temp dir is removed.
      const problems = (await realNode?.stop()) ?? [];
      // Clients before the API server: it drains their watches on SIGTERM and would be
      // SIGKILLed after the grace period (start order is lost once it was restarted).
      for (const component of [...controllers].reverse()) await supervisor.stop(component);
      await supervisor.stopAll();
      if (problems.length > 0) {
        throw new Error(
          `the real node left state behind: ${problems.join('; ')}. Remove it by hand (umount, rmdir, ip link del) and report this as a harness bug.`,
        );
      }
      await assertNothingLeft(pids, tempDir);
      log('cluster stopped');
    },
  };
}

function toAuth(creds: {
  caData: Buffer;
  certData: Buffer;
  keyData: Buffer;
}): Omit<ApiCredentials, 'server'> {
  return {
    caData: creds.caData,
    auth: { kind: 'cert', certData: creds.certData, keyData: creds.keyData },
  };
}

/**
 * The teardown contract: every component pid is gone and no process mentions the temp
 * dir. Polls briefly because a SIGKILLed process needs a moment to be reaped.
 */
export async function assertNothingLeft(
  pids: readonly number[],
  tempDir: string,
  timeoutMs = 3_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const alive = pids.filter(isAlive);
    const strays = processesMentioning(tempDir);
    if (alive.length === 0 && strays.length === 0) return;
    if (Date.now() > deadline) {
      const list = strays.map((s) => `${s.pid}: ${s.cmdline.slice(0, 120)}`).join('\n');
      throw new Error(
        `cluster processes survived stop(): pids [${alive.join(', ')}]\n${list}\n` +
          'Kill them by pid and report this as a harness bug.',
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
