import { describe, expect, it } from 'vitest';
import { parseChains, splitRule } from '../../cluster/host-state.js';
import {
  cniConfList,
  containerdConfig,
  kubeletConfig,
  kubeProxyConfig,
  type NodeLayout,
} from '../../cluster/node-config.js';

const dir = '/tmp/modeldeploy-cluster-x/node';
const layout: NodeLayout = {
  name: 'real-node',
  ip: '10.245.0.1',
  podCidr: '10.245.0.0/24',
  bridge: 'mdbr0',
  cgroupRoot: '/modeldeploy-real-node',
  dir,
  containerdRoot: `${dir}/containerd/root`,
  containerdState: `${dir}/containerd/state`,
  containerdSocket: `${dir}/containerd/state/containerd.sock`,
  containerdConfig: `${dir}/containerd/config.toml`,
  runcRoot: `${dir}/containerd/runc`,
  cniConfDir: `${dir}/cni/net.d`,
  cniIpamDir: `${dir}/cni/ipam`,
  cniBinDir: '/usr/lib/cni',
  kubeletRootDir: `${dir}/kubelet`,
  kubeletConfig: `${dir}/kubelet.yaml`,
  kubeletKubeconfig: `${dir}/kubelet.kubeconfig`,
  podLogsDir: `${dir}/pod-logs`,
  kubeProxyConfig: `${dir}/kube-proxy.yaml`,
  kubeProxyKubeconfig: `${dir}/kube-proxy.kubeconfig`,
};
const ports = { kubelet: 1, kubeletHealthz: 2, kubeProxyHealthz: 3, kubeProxyMetrics: 4 };
const certs = { caFile: 'ca.crt', servingCertFile: 's.crt', servingKeyFile: 's.key' };

describe('real node configuration', () => {
  it('containerd keeps every path under the node dir and never pulls the sandbox image', () => {
    const toml = containerdConfig(layout, 'registry.k8s.io/pause:3.10.1');
    const paths = [...toml.matchAll(/"(\/[^"]+)"/g)].map((m) => m[1] ?? '');
    expect(paths.filter((p) => !p.startsWith(dir) && p !== '/usr/lib/cni')).toEqual([]);
    expect(toml).toContain('sandbox_image = "registry.k8s.io/pause:3.10.1"');
    expect(toml).toContain('netns_mounts_under_state_dir = true');
    expect(toml).toContain('restrict_oom_score_adj = true');
    expect(toml).toContain('stream_server_address = "127.0.0.1"');
  });

  it('kubelet runs on cgroup v1 with cgroupfs, webhook auth and the harness CA', () => {
    const config = JSON.parse(
      kubeletConfig(layout, ports, certs, { enforceNodeAllocatable: true }),
    ) as Record<string, unknown>;
    expect(config).toMatchObject({
      failCgroupV1: false,
      failSwapOn: false,
      cgroupDriver: 'cgroupfs',
      cgroupRoot: '/modeldeploy-real-node',
      address: '10.245.0.1',
      readOnlyPort: 0,
      healthzBindAddress: '127.0.0.1',
      authorization: { mode: 'Webhook' },
      authentication: { anonymous: { enabled: false }, x509: { clientCAFile: 'ca.crt' } },
      containerRuntimeEndpoint: `unix://${layout.containerdSocket}`,
    });
  });

  it('pods get no masquerade (nothing leaves the machine) and kube-proxy serves NodePorts on loopback only', () => {
    const cni = JSON.parse(cniConfList(layout)) as { plugins: Record<string, unknown>[] };
    expect(cni.plugins[0]).toMatchObject({ type: 'bridge', bridge: 'mdbr0', ipMasq: false });
    const proxy = JSON.parse(kubeProxyConfig(layout, ports, '10.245.0.0/24')) as Record<
      string,
      unknown
    >;
    expect(proxy).toMatchObject({ mode: 'iptables', nodePortAddresses: ['127.0.0.1/32'] });
  });
});

describe('iptables-save parsing', () => {
  it('lists chains per table and splits quoted rule arguments', () => {
    const save = [
      '*filter',
      ':INPUT ACCEPT [0:0]',
      ':KUBE-FIREWALL - [0:0]',
      '-A INPUT -j KUBE-FIREWALL',
      '-A KUBE-FIREWALL ! -s 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -j DROP',
      'COMMIT',
      '*nat',
      ':KUBE-SERVICES - [0:0]',
      'COMMIT',
    ].join('\n');
    expect(parseChains(save)).toEqual({
      filter: ['INPUT', 'KUBE-FIREWALL'],
      nat: ['KUBE-SERVICES'],
    });
    expect(splitRule(save.split('\n')[4] ?? '')).toEqual([
      '-A',
      'KUBE-FIREWALL',
      '!',
      '-s',
      '127.0.0.0/8',
      '-m',
      'comment',
      '--comment',
      'block incoming localnet connections',
      '-j',
      'DROP',
    ]);
  });
});
