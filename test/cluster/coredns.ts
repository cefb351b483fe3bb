/**
 * The test cluster's DNS: CoreDNS (build-coredns.sh) on the real node's bridge address,
 * answering cluster.local names from the API server as kube-dns does in any cluster. Only
 * that zone is served and nothing is forwarded, so no lookup leaves this machine.
 */
import { spawn } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const COREDNS_BUILD_SCRIPT = fileURLToPath(new URL('./build-coredns.sh', import.meta.url));

/** Run build-coredns.sh (a no-op on a warm cache); resolves with the binary's path. */
export async function ensureCoreDns(): Promise<string> {
  const preset = process.env['MODELDEPLOY_COREDNS'];
  if (preset !== undefined && preset !== '') return preset;
  const bin = await new Promise<string>((resolve, reject) => {
    const child = spawn('bash', [COREDNS_BUILD_SCRIPT], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code === 0 && last !== '') resolve(last);
      else reject(new Error(`${COREDNS_BUILD_SCRIPT} exited with ${code}; its log is above`));
    });
  });
  if (!existsSync(bin)) {
    throw new Error(`${COREDNS_BUILD_SCRIPT} printed ${bin}, which does not exist; rerun it`);
  }
  return bin;
}

/**
 * The Corefile: cluster.local and the reverse zones on `ip:53`, from the API server
 * through `kubeconfig`. Short TTLs, because tests create and delete Services quickly.
 */
export function corefile(ip: string, kubeconfig: string): string {
  return [
    'cluster.local:53 in-addr.arpa:53 ip6.arpa:53 {',
    `  bind ${ip}`,
    '  errors',
    '  cache 5',
    '  kubernetes cluster.local in-addr.arpa ip6.arpa {',
    `    kubeconfig ${kubeconfig}`,
    '    pods insecure',
    '    ttl 5',
    '  }',
    '}',
    '',
  ].join('\n');
}

/** True once CoreDNS at `ip` answers the kubernetes Service's name with its ClusterIP. */
export async function dnsAnswers(ip: string, clusterIp: string): Promise<boolean> {
  const resolver = new Resolver({ timeout: 1_000, tries: 1 });
  resolver.setServers([ip]);
  try {
    const addresses = await resolver.resolve4('kubernetes.default.svc.cluster.local');
    return addresses.includes(clusterIp);
  } catch {
    return false;
  }
}
