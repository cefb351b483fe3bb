/**
 * One REAL node for the test cluster: Debian's containerd (CRI plugin) + runc + CNI
 * bridge, kubelet and kube-proxy (iptables mode) built from the same k8s.io/kubernetes
 * release as the control plane, the locally built pause image and our images imported
 * into containerd's k8s.io namespace. No registry is ever contacted: containerd runs with
 * its HTTP(S) proxy pointed at a closed loopback port, so a pull fails fast instead.
 *
 * One real node per machine at a time (kube-proxy owns the host's KUBE-* iptables chains):
 * a lock file records the owner; a start after a crashed owner first removes what it
 * left (mounts, cgroups, bridge, iptables chains, processes).
 */
import {
  accessSync,
  rmdirSync,
  constants,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { imageName } from '../support/image-tag.js';
import { startApiServerRelay, type ApiServerRelay } from './apiserver-relay.js';
import { corefile, dnsAnswers } from './coredns.js';
import { dockerCli, dockerImageExists } from './docker.js';
import { cgroupV1Problem } from './cgroup-support.js';
import {
  cgroupPids,
  createBridge,
  createCgroup,
  deleteLink,
  destroyCgroup,
  removeNewChains,
  restoreSysctls,
  sh,
  snapshotChains,
  snapshotSysctls,
  unmountAll,
  type ChainSnapshot,
  type SysctlSnapshot,
} from './host-state.js';
import {
  cniConfList,
  containerdConfig,
  kubeletArgs,
  kubeletConfig,
  kubeProxyArgs,
  kubeProxyConfig,
  reapScript,
  type NodeLayout,
  type NodePorts,
} from './node-config.js';
import type { NodeTools } from './node-tools.js';
import type { ClusterPki, NodePki } from './pki.js';
import {
  isAlive,
  processesMentioning,
  type Component,
  type ProcessSupervisor,
  type StartSpec,
} from './processes.js';
import { waitFor } from './readiness.js';

export const REAL_NODE_NAME = 'real-node';
/** The node's pod subnet; its gateway is the node IP. kwok's fake pods use 10.244/16. */
export const REAL_NODE_POD_CIDR = '10.245.0.0/24';
export const REAL_NODE_IP = '10.245.0.1';
/** The `kubernetes` Service's ClusterIP: the first address of SERVICE_CIDR. */
const KUBERNETES_SERVICE_IP = '10.96.0.1';
const BRIDGE = 'mdbr0';
const CGROUP_ROOT = '/modeldeploy-real-node';
const LOCK_FILE = '/run/modeldeploy-real-node.json';
const CNI_BIN_DIRS = ['/usr/lib/cni', '/opt/cni/bin'];
const CNI_PLUGINS = ['bridge', 'host-local', 'loopback', 'portmap', 'firewall'];
/** A closed loopback port: containerd's image pulls (which must never happen) fail here. */
const NO_REGISTRY_PROXY = 'http://127.0.0.1:9';

type Spec = (name: string, binary: string, args: string[]) => StartSpec;

/**
 * CoreDNS for the node's pods (kubelet's clusterDNS is the node IP), before kubelet starts
 * any pod; resolves once it answers the kubernetes Service's name.
 */
async function startDns(
  opts: StartRealNodeOptions,
  layout: NodeLayout,
  spec: Spec,
  components: Component[],
): Promise<void> {
  const conf = join(layout.dir, 'Corefile');
  writeFileSync(conf, corefile(layout.ip, opts.adminKubeconfigPath));
  const dns = opts.supervisor.start(spec('coredns', opts.coreDns, ['-conf', conf]));
  components.push(dns);
  await waitFor(`CoreDNS on ${layout.ip}:53`, () => dnsAnswers(layout.ip, KUBERNETES_SERVICE_IP), {
    timeoutMs: 30_000,
    watch: [dns],
  });
}

/** Images the node gets from the local Docker daemon when they exist. */
export const DEFAULT_NODE_IMAGES: readonly string[] = [
  imageName('runtime'),
  imageName('runtime-examples'),
  imageName('runtime-example'),
  imageName('operator'),
];

type Log = (line: string) => void;

export interface RealNodeSupport {
  readonly ok: boolean;
  /** Why not, and what to do about it. */
  readonly reason: string;
}

function which(cmd: string): boolean {
  for (const dir of (process.env['PATH'] ?? '').split(':').concat(['/usr/sbin', '/sbin'])) {
    try {
      accessSync(join(dir, cmd), constants.X_OK);
      return true;
    } catch {
      // next
    }
  }
  return false;
}

function cniBinDir(): string | undefined {
  return CNI_BIN_DIRS.find((d) => CNI_PLUGINS.every((p) => existsSync(join(d, p))));
}

/** Can this machine run a real node? Cheap; no state is left behind. */
export function realNodeSupport(): RealNodeSupport {
  if (process.platform !== 'linux') return { ok: false, reason: 'a real node needs Linux' };
  if (process.getuid?.() !== 0) {
    return {
      ok: false,
      reason:
        'a real node needs root (kubelet, containerd and kube-proxy change mounts, cgroups and iptables); run as root',
    };
  }
  const missing = [
    'containerd',
    'ctr',
    'runc',
    'iptables',
    'iptables-save',
    'conntrack',
    'ip',
    'umount',
  ].filter((c) => !which(c));
  if (cniBinDir() === undefined) missing.push(`CNI plugins (${CNI_PLUGINS.join(', ')})`);
  if (missing.length > 0) {
    return { ok: false, reason: `missing ${missing.join(', ')}: run scripts/node-setup.sh` };
  }
  const cgroups = cgroupV1Problem(existsSync);
  if (cgroups !== undefined) return { ok: false, reason: cgroups };
  const probe = `/sys/fs/cgroup/memory/modeldeploy-probe-${process.pid}`;
  try {
    mkdirSync(probe);
    rmdirSync(probe);
  } catch (error) {
    if (existsSync(probe)) rmdirSync(probe);
    return {
      ok: false,
      reason: `cannot create a memory cgroup (mkdir ${probe}: ${(error as Error).message}); kubelet needs writable cgroup v1 hierarchies (a container started without a writable /sys/fs/cgroup cannot run the node)`,
    };
  }
  return { ok: true, reason: '' };
}

export interface RealNode {
  readonly name: string;
  readonly ip: string;
  readonly podCidr: string;
  readonly layout: NodeLayout;
  readonly components: readonly Component[];
  /** Images imported into containerd's k8s.io namespace (besides the pause image). */
  readonly images: readonly string[];
  /** `ip:port` where pods reach the API server: the `kubernetes` Service's endpoint. */
  readonly apiServerAddress: string;
  /** Stop everything the node started or changed; returns what could not be undone. */
  stop(): Promise<string[]>;
}

export interface StartRealNodeOptions {
  readonly tempDir: string;
  readonly logDir: string;
  readonly pki: ClusterPki;
  readonly nodePki: NodePki;
  readonly ports: NodePorts;
  readonly tools: NodeTools;
  readonly supervisor: ProcessSupervisor;
  /** kube-apiserver's port on 127.0.0.1; pods reach it on the node IP, same port. */
  readonly apiServerPort: number;
  /** The CoreDNS binary (build-coredns.sh): the cluster's DNS, on the node IP. */
  readonly coreDns: string;
  /** Kubeconfig CoreDNS reads Services and EndpointSlices with. */
  readonly adminKubeconfigPath: string;
  /** Kubeconfig text for kubelet (node identity) and kube-proxy. */
  readonly kubeletKubeconfig: string;
  readonly kubeProxyKubeconfig: string;
  /** Pod CIDR of the whole cluster, for kube-proxy's masquerade decisions. */
  readonly clusterCidr: string;
  readonly images?: readonly string[];
  readonly log: Log;
}

type Chains = Partial<Record<'iptables' | 'ip6tables', ChainSnapshot>>;

/**
 * Who runs the real node, and the host state from before it started: a crashed run's
 * successor restores the sysctls and removes the iptables chains from these snapshots.
 */
interface LockRecord {
  readonly pid: number;
  readonly tempDir: string;
  readonly sysctls?: SysctlSnapshot;
  readonly chains?: Chains;
}

function readLock(): LockRecord | undefined {
  try {
    return JSON.parse(readFileSync(LOCK_FILE, 'utf8')) as LockRecord;
  } catch {
    return undefined;
  }
}

/**
 * Remove what a crashed real node left: processes in its cgroups or mentioning its temp
 * dir, mounts, the bridge, kube-proxy's iptables chains.
 */
async function sweep(previous: LockRecord | undefined, kubeProxy: string, log: Log): Promise<void> {
  const bridgeLeft = (await sh('ip', ['link', 'show', BRIDGE])).code === 0;
  const pidsLeft = cgroupPids(CGROUP_ROOT).length > 0;
  if (previous === undefined && !bridgeLeft && !pidsLeft) return;
  log(
    `a previous real node${previous === undefined ? '' : ` (pid ${previous.pid}, ${previous.tempDir})`} did not stop cleanly; removing what it left`,
  );
  await destroyCgroup(CGROUP_ROOT);
  if (previous !== undefined) {
    for (const p of processesMentioning(previous.tempDir)) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    await unmountAll(previous.tempDir);
    rmSync(previous.tempDir, { recursive: true, force: true });
  }
  await deleteLink(BRIDGE);
  await sh(kubeProxy, ['--cleanup', '--v=0']);
  if (previous?.chains !== undefined) {
    const removed = await removeNewChains(previous.chains, ['KUBE-', 'CNI-']);
    if (removed.length > 0) log(`removed iptables chains: ${removed.join(', ')}`);
  }
  if (previous?.sysctls !== undefined) {
    const restored = restoreSysctls(previous.sysctls);
    if (restored.length > 0) log(`restored sysctls: ${restored.join(', ')}`);
  }
}

/**
 * Claim the machine's one real node. A live owner is waited for (a second test run, say)
 * up to MODELDEPLOY_REAL_NODE_WAIT_MS (default 10 min); a dead one's record is returned so
 * that sweep() can undo what it left.
 */
async function acquireLock(tempDir: string, log: Log): Promise<LockRecord | undefined> {
  const waitMs = Number(process.env['MODELDEPLOY_REAL_NODE_WAIT_MS'] ?? 600_000);
  const deadline = Date.now() + waitMs;
  let told = false;
  for (;;) {
    const previous = readLock();
    if (previous !== undefined && previous.pid !== process.pid && isAlive(previous.pid)) {
      if (Date.now() > deadline) {
        throw new Error(
          `another real-node cluster is running (pid ${previous.pid}, ${previous.tempDir}) and did not stop within ${waitMs} ms; only one ` +
            'real node fits on a machine (kube-proxy owns the host iptables chains). Stop it first, ' +
            'or start this cluster without the real node.',
        );
      }
      if (!told) {
        log(
          `waiting for the real node of pid ${previous.pid} (${previous.tempDir}) to stop: one real node per machine`,
        );
        told = true;
      }
      await new Promise((r) => setTimeout(r, 1_000));
      continue;
    }
    if (previous !== undefined) rmSync(LOCK_FILE, { force: true });
    try {
      // Claim it (exclusively), keeping a crashed predecessor's snapshots until sweep()
      // has used them.
      writeFileSync(LOCK_FILE, JSON.stringify({ ...previous, pid: process.pid, tempDir }), {
        flag: 'wx',
      });
      return previous?.pid === process.pid ? undefined : previous;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // Another starter claimed it first: wait for that one.
    }
  }
}

function writeLock(record: LockRecord): void {
  writeFileSync(LOCK_FILE, JSON.stringify(record));
}

function layoutFor(tempDir: string, cniBin: string): NodeLayout {
  const dir = join(tempDir, 'node');
  return {
    name: REAL_NODE_NAME,
    ip: REAL_NODE_IP,
    podCidr: REAL_NODE_POD_CIDR,
    bridge: BRIDGE,
    cgroupRoot: CGROUP_ROOT,
    dir,
    containerdRoot: join(dir, 'containerd', 'root'),
    containerdState: join(dir, 'containerd', 'state'),
    containerdSocket: join(dir, 'containerd', 'state', 'containerd.sock'),
    containerdConfig: join(dir, 'containerd', 'config.toml'),
    runcRoot: join(dir, 'containerd', 'runc'),
    cniConfDir: join(dir, 'cni', 'net.d'),
    cniIpamDir: join(dir, 'cni', 'ipam'),
    cniBinDir: cniBin,
    kubeletRootDir: join(dir, 'kubelet'),
    kubeletConfig: join(dir, 'kubelet.yaml'),
    kubeletKubeconfig: join(dir, 'kubelet.kubeconfig'),
    podLogsDir: join(dir, 'pod-logs'),
    kubeProxyConfig: join(dir, 'kube-proxy.yaml'),
    kubeProxyKubeconfig: join(dir, 'kube-proxy.kubeconfig'),
  };
}

/**
 * `docker save <images...> | ctr -n k8s.io images import -`, both exit codes checked. One
 * archive for all images: the layers they share are written and unpacked once.
 */
function importFromDocker(images: readonly string[], socket: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const save = spawn(dockerCli(), ['save', ...images], { stdio: ['ignore', 'pipe', 'pipe'] });
    const ctr = spawn('ctr', ['-a', socket, '-n', 'k8s.io', 'images', 'import', '-'], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let errors = '';
    save.stderr.on('data', (c: Buffer) => (errors += c.toString('utf8')));
    ctr.stderr.on('data', (c: Buffer) => (errors += c.toString('utf8')));
    save.stdout.pipe(ctr.stdin);
    const saved = new Promise<number | null>((r) => save.once('exit', (code) => r(code)));
    ctr.once('exit', (code) => {
      void saved.then((saveCode) => {
        if (code === 0 && saveCode === 0) resolve();
        else
          reject(
            new Error(
              `importing ${images.join(', ')} into the node's containerd failed (docker save: ${saveCode}, ctr import: ${code}): ${errors.trim()}`,
            ),
          );
      });
    });
  });
}

/**
 * Start containerd, import the images, start kubelet and kube-proxy. Resolves once the
 * processes run; the caller waits for the Node object to become Ready.
 */
export async function startRealNode(opts: StartRealNodeOptions): Promise<RealNode> {
  const { log, supervisor } = opts;
  const support = realNodeSupport();
  if (!support.ok) throw new Error(`cannot start a real node: ${support.reason}`);
  const cniBin = cniBinDir() ?? CNI_BIN_DIRS[0] ?? '/usr/lib/cni';
  const layout = layoutFor(opts.tempDir, cniBin);

  const previous = await acquireLock(opts.tempDir, log);
  await sweep(previous, opts.tools.kubeProxy, log);

  const chains: Chains = await snapshotChains();
  const sysctls: SysctlSnapshot = snapshotSysctls();
  writeLock({ pid: process.pid, tempDir: opts.tempDir, sysctls, chains });
  mkdirSync(layout.dir, { recursive: true });
  writeFileSync(
    join(layout.dir, 'reap.sh'),
    reapScript(layout, opts.tempDir, opts.tools.kubeProxy, sysctls, chains),
    { mode: 0o755 },
  );
  const components: Component[] = [];
  let relay: ApiServerRelay | undefined;

  let stopped = false;
  const stop = async (): Promise<string[]> => {
    if (stopped) return [];
    stopped = true;
    const problems: string[] = [];
    await relay?.close();
    // kubelet first (it would restart containers), then every container process (they
    // live in our cgroup tree), then containerd and its shims.
    for (const c of [...components].reverse()) {
      if (c.name === 'containerd') await destroyCgroup(CGROUP_ROOT);
      await supervisor.stop(c, 5_000);
    }
    for (const p of processesMentioning(layout.dir)) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    problems.push(...(await destroyCgroup(CGROUP_ROOT)));
    const mounts = await unmountAll(opts.tempDir);
    problems.push(...mounts.map((m) => `mount left: ${m}`));
    try {
      await deleteLink(BRIDGE);
    } catch (error) {
      problems.push(`bridge ${BRIDGE}: ${(error as Error).message}`);
    }
    // kube-proxy's own cleanup, then anything else new with its or CNI's prefixes.
    await sh(opts.tools.kubeProxy, ['--cleanup', '--v=0']);
    const removed = await removeNewChains(chains, ['KUBE-', 'CNI-']);
    if (removed.length > 0) log(`removed iptables chains: ${removed.join(', ')}`);
    const restored = restoreSysctls(sysctls);
    if (restored.length > 0) log(`restored sysctls: ${restored.join(', ')}`);
    if (readLock()?.pid === process.pid) rmSync(LOCK_FILE, { force: true });
    return problems;
  };

  try {
    for (const d of [
      layout.containerdRoot,
      layout.containerdState,
      layout.runcRoot,
      layout.cniConfDir,
      layout.cniIpamDir,
      layout.kubeletRootDir,
      layout.podLogsDir,
    ]) {
      mkdirSync(d, { recursive: true });
    }
    createCgroup(CGROUP_ROOT);
    await createBridge(BRIDGE, `${REAL_NODE_IP}/24`);
    relay = await startApiServerRelay(REAL_NODE_IP, opts.apiServerPort);
    writeFileSync(layout.containerdConfig, containerdConfig(layout, opts.tools.pauseImage));
    writeFileSync(join(layout.cniConfDir, '10-modeldeploy.conflist'), cniConfList(layout));
    writeFileSync(
      layout.kubeletConfig,
      kubeletConfig(
        layout,
        opts.ports,
        {
          caFile: opts.pki.ca.certFile,
          servingCertFile: opts.nodePki.kubeletServing.certFile,
          servingKeyFile: opts.nodePki.kubeletServing.keyFile,
        },
        { enforceNodeAllocatable: true },
      ),
    );
    writeFileSync(layout.kubeletKubeconfig, opts.kubeletKubeconfig, { mode: 0o600 });
    writeFileSync(layout.kubeProxyKubeconfig, opts.kubeProxyKubeconfig, { mode: 0o600 });
    writeFileSync(layout.kubeProxyConfig, kubeProxyConfig(layout, opts.ports, opts.clusterCidr));

    const spec = (name: string, binary: string, args: string[], env?: Record<string, string>) => ({
      name,
      binary,
      args,
      logFile: join(opts.logDir, `${name}.log`),
      ...(env === undefined ? {} : { env }),
    });
    const containerd = supervisor.start(
      spec(
        'containerd',
        'containerd',
        ['--config', layout.containerdConfig, '--log-level', 'info'],
        {
          HTTP_PROXY: NO_REGISTRY_PROXY,
          HTTPS_PROXY: NO_REGISTRY_PROXY,
          http_proxy: NO_REGISTRY_PROXY,
          https_proxy: NO_REGISTRY_PROXY,
          NO_PROXY: '',
          no_proxy: '',
        },
      ),
    );
    components.push(containerd);
    await waitFor(
      'containerd socket',
      async () => (await sh('ctr', ['-a', layout.containerdSocket, 'version'])).code === 0,
      { timeoutMs: 30_000, watch: [containerd] },
    );

    const t0 = Date.now();
    await sh('ctr', [
      '-a',
      layout.containerdSocket,
      '-n',
      'k8s.io',
      'images',
      'import',
      opts.tools.pauseImageArchive,
    ]).then((r) => {
      if (r.code !== 0) throw new Error(`ctr import of the pause image failed: ${r.stderr.trim()}`);
    });
    const wanted = opts.images ?? DEFAULT_NODE_IMAGES;
    const images: string[] = [];
    for (const image of wanted) {
      if (await dockerImageExists(image)) images.push(image);
      else if (opts.images !== undefined) {
        throw new Error(
          `image ${image} is not in the local Docker daemon; build it with scripts/build-images.sh`,
        );
      }
    }
    if (images.length > 0) await importFromDocker(images, layout.containerdSocket);
    log(
      `imported ${opts.tools.pauseImage}${images.length > 0 ? `, ${images.join(', ')}` : ''} into the node's containerd in ${Date.now() - t0} ms`,
    );

    await startDns(opts, layout, spec, components);
    components.push(supervisor.start(spec('kubelet', opts.tools.kubelet, kubeletArgs(layout))));
    components.push(
      supervisor.start(spec('kube-proxy', opts.tools.kubeProxy, kubeProxyArgs(layout))),
    );
    return {
      name: layout.name,
      ip: layout.ip,
      podCidr: layout.podCidr,
      layout,
      components,
      images,
      apiServerAddress: relay.address,
      stop,
    };
  } catch (error) {
    const problems = await stop();
    if (problems.length > 0) log(`cleanup after a failed start left: ${problems.join('; ')}`);
    throw error;
  }
}
