/**
 * Leader failover benchmark (docs/benchmarks.md#operator-leader-failover): two operators
 * with leader election against the harness control plane; the leader is killed with
 * SIGKILL (a node lost, an OOM kill: no lease release) and the time until the standby
 * leads is measured from the kill. The integration test only checks that the standby takes
 * over; how fast is a figure of the lease settings and the machine, so it lives here.
 *
 *   node --import tsx bench/operator/failover.ts [--rounds 5] [--lease 15,10,2] [--lease 4,3,1]
 *
 * --lease is LEASE_DURATION_SECONDS,RENEW_DEADLINE_SECONDS,RETRY_PERIOD_SECONDS (default: the
 * operator's own defaults, then the short settings the integration test uses). Prints a
 * table and writes bench/results/operator-failover.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { KubeClient } from '../../operator/src/kube/kube-client.js';
import { startCluster, type Cluster } from '../../test/cluster/harness.js';
import { OperatorProcess } from '../../test/support/operator-process.js';
import { machineInfo } from '../lib/machine.js';
import { percentile } from '../lib/percentile.js';

const RESULTS = fileURLToPath(new URL('../results/', import.meta.url));
const NAMESPACE = 'failover-bench';
/** How often the standby's leader gauge is read: the resolution of the figures. */
const POLL_MS = 100;

interface Lease {
  readonly durationSeconds: number;
  readonly renewDeadlineSeconds: number;
  readonly retryPeriodSeconds: number;
}

interface Row {
  readonly lease: Lease;
  /** The wait the settings allow: the lease must expire, then one retry period. */
  readonly expectedMaxSeconds: number;
  readonly takeoverSeconds: readonly number[];
}

function parseLease(text: string): Lease {
  const [durationSeconds, renewDeadlineSeconds, retryPeriodSeconds] = text.split(',').map(Number);
  if (!durationSeconds || !renewDeadlineSeconds || !retryPeriodSeconds) {
    throw new Error(`--lease ${text}: give three numbers, duration,renewDeadline,retryPeriod`);
  }
  return { durationSeconds, renewDeadlineSeconds, retryPeriodSeconds };
}

function startOperator(cluster: Cluster, lease: Lease, name: string): Promise<OperatorProcess> {
  return OperatorProcess.start({
    kubeconfigPath: cluster.kubeconfigPath,
    namespaces: [NAMESPACE],
    entry: 'dist',
    env: {
      POD_NAME: name,
      LEADER_ELECT: 'true',
      LEADER_ELECTION_NAMESPACE: NAMESPACE,
      LEASE_DURATION_SECONDS: String(lease.durationSeconds),
      RENEW_DEADLINE_SECONDS: String(lease.renewDeadlineSeconds),
      RETRY_PERIOD_SECONDS: String(lease.retryPeriodSeconds),
    },
  });
}

const leads = async (op: OperatorProcess): Promise<boolean> =>
  (await op.counter('leader_election_master_status')) === 1;

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** One kill: the leader of a fresh pair dies, and the standby's wait is timed. */
async function oneRound(cluster: Cluster, lease: Lease, round: number): Promise<number> {
  const a = await startOperator(cluster, lease, `bench-a-${round}`);
  const b = await startOperator(cluster, lease, `bench-b-${round}`);
  try {
    const limit = (lease.durationSeconds + lease.retryPeriodSeconds) * 4_000;
    await until('a leader', async () => (await leads(a)) || (await leads(b)), limit);
    const [leader, standby] = (await leads(a)) ? [a, b] : [b, a];
    const killedAt = performance.now();
    leader.kill('SIGKILL');
    await until('the standby to take over', () => leads(standby), limit);
    return (performance.now() - killedAt) / 1000;
  } finally {
    await a.stop('SIGKILL');
    await b.stop('SIGKILL');
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '5' },
      lease: { type: 'string', multiple: true, default: ['15,10,2', '4,3,1'] },
    },
  });
  const leases = values.lease.map(parseLease);
  const rounds = Number(values.rounds);
  const cluster = await startCluster({
    nodes: 1,
    gatewayApi: false,
    log: (l) => process.stderr.write(`[cluster] ${l}\n`),
  });
  const rows: Row[] = [];
  try {
    const client = await KubeClient.load(cluster.kubeconfigPath);
    await client.create(
      '/api/v1/namespaces',
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } },
      'bench',
    );
    client.close();
    for (const lease of leases) {
      const takeoverSeconds: number[] = [];
      for (let round = 0; round < rounds; round++) {
        takeoverSeconds.push(await oneRound(cluster, lease, rows.length * rounds + round));
        process.stderr.write(`lease ${JSON.stringify(lease)}: ${takeoverSeconds.at(-1)} s\n`);
      }
      const expectedMaxSeconds = lease.durationSeconds + lease.retryPeriodSeconds;
      rows.push({ lease, expectedMaxSeconds, takeoverSeconds });
    }
  } finally {
    await cluster.stop();
  }
  console.log(
    '| lease / renew / retry (s) | bound: lease + retry (s) | takeover p50 (s) | max (s) | rounds |',
  );
  console.log('|---|---|---|---|---|');
  for (const r of rows) {
    const sorted = [...r.takeoverSeconds].sort((x, y) => x - y);
    console.log(
      `| ${r.lease.durationSeconds} / ${r.lease.renewDeadlineSeconds} / ${r.lease.retryPeriodSeconds} | ${r.expectedMaxSeconds} | ${percentile(sorted, 50).toFixed(1)} | ${sorted.at(-1)?.toFixed(1)} | ${sorted.length} |`,
    );
  }
  mkdirSync(RESULTS, { recursive: true });
  const machine = await machineInfo();
  writeFileSync(
    `${RESULTS}operator-failover.json`,
    JSON.stringify({ date: new Date().toISOString(), machine, rows }, null, 2),
  );
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
