/**
 * `npm start -- --context NAME --images-present` end to end against the e2e cluster, a
 * cluster the user "already has": the chart installed with helm, the operator running as a
 * pod on the real node (in-cluster ServiceAccount token, the `kubernetes` Service), the
 * examples applied, one prediction answered through a port-forward and the curl line;
 * then `--cleanup` removes the install and keeps the CRD the cluster had before.
 * The entry is scripts/local-up.ts, as scripts/start.sh runs it after set-up.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { runProcess } from '../integration/cli/mdep-plugin.js';
import { k, kOk } from './e2e-kit.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const skipReason = inject('e2eSkipReason');
const TAINT = 'modeldeploy.io/npm-start-test=kwok:NoSchedule';

interface StartRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `npm start`'s entry until it prints `until`, then sends Ctrl-C (SIGINT) and
 * resolves once it exited; a deadline SIGINTs it too, so the run is bounded.
 */
function startUntil(
  args: readonly string[],
  env: Record<string, string>,
  until: string,
  timeoutMs: number,
): Promise<StartRun> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(REPO, 'scripts', 'local-up.ts'), ...args],
    {
      cwd: REPO,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  let interrupted = false;
  // One Ctrl-C, as a user presses it; a second one would test something else.
  const interrupt = (): void => {
    if (interrupted) return;
    interrupted = true;
    child.kill('SIGINT');
  };
  const timer = setTimeout(interrupt, timeoutMs);
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString('utf8');
    if (stdout.includes(until)) interrupt();
  });
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  return new Promise((resolve) => {
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

describe.skipIf(skipReason !== '')(
  `npm start -- --context on an existing cluster${skipReason === '' ? '' : ` (skipped: ${skipReason})`}`,
  () => {
    let dir = '';
    let context = '';
    let env: Record<string, string> = {};
    const kwokNodes = (): string[] =>
      inject('nodeNames').filter((n) => n !== inject('realNodeName'));

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'modeldeploy-npm-start-context-'));
      const kubeconfig = join(dir, 'config');
      writeFileSync(kubeconfig, inject('kubeconfig'), { mode: 0o600 });
      context = (parse(inject('kubeconfig')) as { 'current-context': string })['current-context'];
      env = { KUBECONFIG: kubeconfig, MODELDEPLOY_CLUSTER_TOOLS: dirname(inject('binDir')) };
      // npm start's pods belong on the real node: kwok's fake pods would never answer.
      for (const node of kwokNodes()) await kOk(['taint', 'node', node, TAINT, '--overwrite']);
    });

    afterAll(async () => {
      for (const node of kwokNodes()) await k(['taint', 'node', node, `${TAINT}-`]);
      await runProcess(
        process.execPath,
        [
          '--import',
          'tsx',
          join(REPO, 'scripts', 'local-up.ts'),
          '--context',
          context,
          '--cleanup',
        ],
        env,
      );
      if (dir !== '') rmSync(dir, { recursive: true, force: true });
    });

    it('installs the chart, runs the operator in-cluster and ends with the table, events, a prediction and the curl line', async () => {
      const run = await startUntil(
        ['--context', context, '--images-present'],
        env,
        'The port-forward stays up until Ctrl-C',
        720_000,
      );
      const where = `\nstdout:\n${run.stdout.slice(-3000)}\nstderr:\n${run.stderr.slice(-2000)}`;
      expect(run.stdout, where).toMatch(
        /helm upgrade --install modeldeploy charts\/modeldeploy -n modeldeploy-system\n\s+done/,
      );
      expect(run.stdout, where).toMatch(/answer: \{.*"outputs"/);
      expect(run.stdout, where).toMatch(
        /curl -s -X POST http:\/\/127\.0\.0\.1:\d+\/v2\/models\/iris-tiny\/infer/,
      );
      expect(run.stdout, where).toMatch(/NAME\s+.*\n(.*\n)*iris-tiny\s/);
      expect(run.stdout, where).toContain(`npm start -- --context ${context} --cleanup`);
      expect(run.code, where).toBe(0);
      // The operator is the chart's pod on the real node, not a process of this machine.
      const pod = JSON.parse(
        await kOk([
          'get',
          'pods',
          '-n',
          'modeldeploy-system',
          '-l',
          'app.kubernetes.io/name=modeldeploy',
          '-o',
          'json',
        ]),
      ) as {
        items: {
          spec: { nodeName?: string; serviceAccountName?: string };
          status: { phase?: string };
        }[];
      };
      expect(pod.items.map((p) => [p.spec.nodeName, p.status.phase])).toEqual([
        [inject('realNodeName'), 'Running'],
      ]);
    }, 900_000);

    it('--cleanup removes the install and keeps the CRD the cluster had before', async () => {
      const res = await runProcess(
        process.execPath,
        [
          '--import',
          'tsx',
          join(REPO, 'scripts', 'local-up.ts'),
          '--context',
          context,
          '--cleanup',
        ],
        env,
      );
      expect(res.code, res.stderr).toBe(0);
      expect(res.stdout).toContain('kept the ModelDeployment CRD: it was there before npm start');
      for (const ns of ['modeldeploy-examples', 'modeldeploy-system']) {
        const got = await k(['get', 'namespace', ns, '--ignore-not-found', '-o', 'name']);
        expect(got.stdout.trim(), `${ns} is left`).toBe('');
      }
      expect((await k(['get', 'crd', 'modeldeployments.modeldeploy.io'])).code).toBe(0);
    }, 420_000);
  },
);
