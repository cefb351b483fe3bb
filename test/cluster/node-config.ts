/**
 * Configuration of the test cluster's real node, as pure functions: containerd (its own
 * socket, root and state under the cluster's temp dir), the CNI bridge network, kubelet
 * and kube-proxy. real-node.ts writes these files and starts the processes.
 */

/** Where one real node keeps everything; all paths are under the cluster's temp dir. */
export interface NodeLayout {
  readonly name: string;
  /** The node's InternalIP: the gateway address of its pod bridge (never loopback). */
  readonly ip: string;
  /** Pod subnet of this node (host-local IPAM on the bridge). */
  readonly podCidr: string;
  readonly bridge: string;
  /** Top-level cgroup (every v1 subsystem) that holds kubelet's kubepods hierarchy. */
  readonly cgroupRoot: string;
  readonly dir: string;
  readonly containerdRoot: string;
  readonly containerdState: string;
  readonly containerdSocket: string;
  readonly containerdConfig: string;
  readonly runcRoot: string;
  readonly cniConfDir: string;
  readonly cniIpamDir: string;
  readonly cniBinDir: string;
  readonly kubeletRootDir: string;
  readonly kubeletConfig: string;
  readonly kubeletKubeconfig: string;
  readonly podLogsDir: string;
  readonly kubeProxyConfig: string;
  readonly kubeProxyKubeconfig: string;
}

export interface NodePorts {
  readonly kubelet: number;
  readonly kubeletHealthz: number;
  readonly kubeProxyHealthz: number;
  readonly kubeProxyMetrics: number;
}

export interface NodeCerts {
  readonly caFile: string;
  readonly servingCertFile: string;
  readonly servingKeyFile: string;
}

/** TOML string literal (paths contain no quotes, but be exact anyway). */
function toml(value: string): string {
  return JSON.stringify(value);
}

/**
 * containerd 1.6+ config (version 2) for one node. Nothing is shared with the host's
 * containerd (Docker's, or a system one): socket, root, state, runc root, netns mounts
 * and CNI config all live under the node dir.
 */
export function containerdConfig(layout: NodeLayout, pauseImage: string): string {
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return [
    'version = 2',
    `root = ${toml(layout.containerdRoot)}`,
    `state = ${toml(layout.containerdState)}`,
    // Snapshotters that need kernel modules or special file systems only log errors.
    'disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.internal.v1.opt", "io.containerd.tracing.processor.v1.otlp"]',
    '[grpc]',
    `  address = ${toml(layout.containerdSocket)}`,
    '[ttrpc]',
    `  address = ${toml(`${layout.containerdSocket}.ttrpc`)}`,
    '[debug]',
    '  address = ""',
    '[metrics]',
    '  address = ""',
    `[${cri}]`,
    // Imported from the locally built pause image; never pulled.
    `  sandbox_image = ${toml(pauseImage)}`,
    // Pod network namespaces as files under the state dir, not /var/run/netns.
    '  netns_mounts_under_state_dir = true',
    // kubectl port-forward/exec/logs stream through this server; loopback only.
    '  stream_server_address = "127.0.0.1"',
    '  stream_server_port = "0"',
    '  enable_unprivileged_ports = true',
    // Containers get an oom_score_adj no lower than containerd's own: this machine's root
    // lacks CAP_SYS_RESOURCE, and runc's write of kubelet's -998 for the pause container
    // fails with EACCES ("can't get final child's PID from pipe: EOF").
    '  restrict_oom_score_adj = true',
    `  [${cri}.cni]`,
    `    bin_dir = ${toml(layout.cniBinDir)}`,
    `    conf_dir = ${toml(layout.cniConfDir)}`,
    '    max_conf_num = 1',
    `  [${cri}.containerd]`,
    '    snapshotter = "overlayfs"',
    '    default_runtime_name = "runc"',
    `  [${cri}.containerd.runtimes.runc]`,
    '    runtime_type = "io.containerd.runc.v2"',
    `    [${cri}.containerd.runtimes.runc.options]`,
    `      Root = ${toml(layout.runcRoot)}`,
    '      SystemdCgroup = false',
    '',
  ].join('\n');
}

/**
 * The pod network: one Linux bridge whose gateway address is the node IP, host-local
 * IPAM with its state under the node dir. No IP masquerade, so pods cannot reach past
 * this machine; portmap serves hostPort (it adds iptables rules only for pods that ask).
 * The firewall plugin accepts each pod's traffic in iptables' FORWARD chain: with
 * bridge-nf-call-iptables on (kube-proxy needs it) bridged pod-to-pod packets pass
 * through FORWARD, whose policy Docker sets to DROP, so without it a pod could reach
 * neither another pod nor a ClusterIP backed by one.
 */
export function cniConfList(layout: NodeLayout): string {
  const conf = {
    cniVersion: '0.4.0',
    name: 'modeldeploy-pods',
    plugins: [
      {
        type: 'bridge',
        bridge: layout.bridge,
        isGateway: true,
        ipMasq: false,
        hairpinMode: true,
        ipam: {
          type: 'host-local',
          dataDir: layout.cniIpamDir,
          ranges: [[{ subnet: layout.podCidr, gateway: layout.ip }]],
          routes: [{ dst: '0.0.0.0/0' }],
        },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
      { type: 'firewall', backend: 'iptables' },
    ],
  };
  return JSON.stringify(conf, null, 2) + '\n';
}

/** KubeletConfiguration (JSON is YAML) for a sandboxed node on a cgroup v1 host. */
export function kubeletConfig(
  layout: NodeLayout,
  ports: NodePorts,
  certs: NodeCerts,
  opts: { readonly enforceNodeAllocatable: boolean },
): string {
  const config = {
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    address: layout.ip,
    port: ports.kubelet,
    readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1',
    healthzPort: ports.kubeletHealthz,
    tlsCertFile: certs.servingCertFile,
    tlsPrivateKeyFile: certs.servingKeyFile,
    // The API server authenticates with a client cert from the cluster CA; anything else
    // (a ServiceAccount token, say) is checked with TokenReview/SubjectAccessReview.
    authentication: {
      anonymous: { enabled: false },
      webhook: { enabled: true, cacheTTL: '10s' },
      x509: { clientCAFile: certs.caFile },
    },
    authorization: { mode: 'Webhook', webhook: { cacheAuthorizedTTL: '10s' } },
    containerRuntimeEndpoint: `unix://${layout.containerdSocket}`,
    podLogsDir: layout.podLogsDir,
    // kubelet 1.35 refuses cgroup v1 unless told otherwise; this host has only v1.
    failCgroupV1: false,
    failSwapOn: false,
    cgroupDriver: 'cgroupfs',
    cgroupRoot: layout.cgroupRoot,
    cgroupsPerQOS: true,
    enforceNodeAllocatable: opts.enforceNodeAllocatable ? ['pods'] : [],
    // The node shares a developer machine: do not taint it for disk it does not own, and
    // never garbage-collect the images the harness imported (nothing could pull them back).
    evictionHard: {
      'memory.available': '100Mi',
      'nodefs.available': '1%',
      'imagefs.available': '1%',
    },
    mergeDefaultEvictionSettings: false,
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    serializeImagePulls: false,
    // CoreDNS listens on the node IP (coredns.ts); pods get it as their nameserver and the
    // cluster search domains. The host's file only adds its search domains.
    resolvConf: '/etc/resolv.conf',
    clusterDNS: [layout.ip],
    clusterDomain: 'cluster.local',
    hairpinMode: 'hairpin-veth',
    podCIDR: layout.podCidr,
    maxPods: 110,
    // Quick status for tests: a pod's readiness shows up within a second or two.
    syncFrequency: '10s',
    nodeStatusUpdateFrequency: '4s',
    nodeStatusReportFrequency: '10s',
    fileCheckFrequency: '20s',
    runtimeRequestTimeout: '2m',
    shutdownGracePeriod: '0s',
    rotateCertificates: false,
    serverTLSBootstrap: false,
    registerNode: true,
    makeIPTablesUtilChains: false,
    protectKernelDefaults: false,
    logging: { format: 'text', verbosity: 1 },
  };
  return JSON.stringify(config, null, 2) + '\n';
}

export function kubeletArgs(layout: NodeLayout): string[] {
  return [
    `--config=${layout.kubeletConfig}`,
    `--kubeconfig=${layout.kubeletKubeconfig}`,
    `--root-dir=${layout.kubeletRootDir}`,
    `--cert-dir=${layout.kubeletRootDir}/pki`,
    `--hostname-override=${layout.name}`,
    `--node-ip=${layout.ip}`,
    `--node-labels=modeldeploy.io/real-node=true`,
  ];
}

/**
 * KubeProxyConfiguration in iptables mode. NodePorts answer on loopback only; the
 * conntrack settings are left as the host has them (0 = do not touch).
 */
export function kubeProxyConfig(layout: NodeLayout, ports: NodePorts, clusterCidr: string): string {
  const config = {
    apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
    kind: 'KubeProxyConfiguration',
    mode: 'iptables',
    clientConnection: { kubeconfig: layout.kubeProxyKubeconfig },
    hostnameOverride: layout.name,
    bindAddress: '127.0.0.1',
    healthzBindAddress: `127.0.0.1:${ports.kubeProxyHealthz}`,
    metricsBindAddress: `127.0.0.1:${ports.kubeProxyMetrics}`,
    clusterCIDR: clusterCidr,
    nodePortAddresses: ['127.0.0.1/32'],
    iptables: {
      localhostNodePorts: true,
      masqueradeAll: false,
      syncPeriod: '30s',
      minSyncPeriod: '1s',
    },
    conntrack: {
      maxPerCore: 0,
      min: 0,
      tcpEstablishedTimeout: '0s',
      tcpCloseWaitTimeout: '0s',
    },
    oomScoreAdj: 0,
    logging: { format: 'text', verbosity: 1 },
  };
  return JSON.stringify(config, null, 2) + '\n';
}

export function kubeProxyArgs(layout: NodeLayout): string[] {
  return [`--config=${layout.kubeProxyConfig}`];
}

/**
 * A shell script the harness's reaper runs when the harness died without stop() (e.g.
 * SIGKILL): kill the containers (by cgroup) and anything running from the node dir
 * (shims, containerd, kubelet), unmount, delete the bridge, run kube-proxy's clean-up and
 * write back the sysctls from before the node started.
 */
export function reapScript(
  layout: NodeLayout,
  tempDir: string,
  kubeProxy: string,
  sysctls: Readonly<Record<string, string>>,
  chainsBefore: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {},
): string {
  const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  const root = layout.cgroupRoot.replace(/^\/+/, '');
  return [
    '#!/bin/sh',
    '# Written by test/cluster/real-node.ts; run by the reaper of test/cluster/processes.ts.',
    `node_dir=${q(layout.dir)}`,
    `for f in /sys/fs/cgroup/*/${root}; do find "$f" -name cgroup.procs -exec cat {} +; done 2>/dev/null |`,
    '  sort -u | while read -r p; do kill -KILL "$p" 2>/dev/null; done',
    'for d in /proc/[0-9]*; do',
    '  pid=${d#/proc/}',
    '  [ "$pid" = "$$" ] && continue',
    '  case "$(tr \'\\0\' \' \' < "$d/cmdline" 2>/dev/null)" in',
    '    *"$node_dir"*) kill -KILL "$pid" 2>/dev/null ;;',
    '  esac',
    'done',
    'sleep 1',
    `awk -v p=${q(`${tempDir}/`)} 'index($5, p) == 1 { print $5 }' /proc/self/mountinfo | sort -r |`,
    '  while read -r m; do umount -l "$m" 2>/dev/null; done',
    `ip link del ${q(layout.bridge)} 2>/dev/null`,
    `${q(kubeProxy)} --cleanup --v=0 2>/dev/null`,
    ...Object.entries(sysctls).map(([k, v]) => `echo ${q(v)} > ${q(`/proc/sys/${k}`)} 2>/dev/null`),
    // KUBE-/CNI- chains that did not exist before: drop the rules jumping to them, then them.
    ...['iptables', 'ip6tables'].flatMap((cmd) =>
      ['filter', 'nat', 'mangle'].map((table) => {
        const keep = (chainsBefore[cmd]?.[table] ?? []).join(' ');
        return [
          `new=$(${cmd}-save -t ${table} 2>/dev/null | sed -n 's/^:\\(KUBE-[^ ]*\\|CNI-[^ ]*\\) .*/\\1/p' | while read -r c; do case " ${keep} " in *" $c "*) ;; *) echo "$c" ;; esac; done)`,
          `for c in $new; do ${cmd}-save -t ${table} | grep -E -- "^-A .* -j $c( |$)" | sed 's/^-A/-D/' | while read -r r; do eval "${cmd} -w 5 -t ${table} $r" 2>/dev/null; done; done`,
          `for c in $new; do ${cmd} -w 5 -t ${table} -F "$c" 2>/dev/null; done`,
          `for c in $new; do ${cmd} -w 5 -t ${table} -X "$c" 2>/dev/null; done`,
        ].join('\n');
      }),
    ),
    `for f in /sys/fs/cgroup/*/${root}; do find "$f" -depth -type d -exec rmdir {} + 2>/dev/null; done`,
    'exit 0',
    '',
  ].join('\n');
}
