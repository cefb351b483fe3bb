/**
 * What an in-cluster client of the real node needs from the network, checked from inside
 * pods the suite made: the API server through the `kubernetes` Service (the ClusterIP,
 * kube-proxy's rules, the ServiceAccount token and CA that kubelet mounts), and another pod
 * through its Service's DNS name (CoreDNS on the node), its ClusterIP and its pod IP. The
 * operator installed by the chart, a model fetched from an in-cluster S3 server and a
 * shadow track all depend on these paths.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createNamespace, eventually, getJson, k, kOk } from './e2e-kit.js';

const skipReason = inject('e2eSkipReason');

/** A pod on the real node that runs `script` with the runtime image's node, once. */
function scriptPod(
  name: string,
  script: string,
  env: Readonly<Record<string, string>> = {},
): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: name } },
    spec: {
      restartPolicy: 'Never',
      nodeSelector: { 'kubernetes.io/hostname': inject('realNodeName') },
      containers: [
        {
          name: 'main',
          image: inject('e2eRuntimeImage'),
          imagePullPolicy: 'Never',
          command: ['node', '-e', script],
          env: Object.entries(env).map(([n, value]) => ({ name: n, value })),
        },
      ],
    },
  };
}

/** Waits for a run-once pod to end; returns its phase and its log. */
async function outcome(namespace: string, name: string): Promise<{ phase: string; log: string }> {
  const phase = await eventually(
    `pod ${name} finished`,
    async () => {
      const pod = await getJson<{ status: { phase?: string } }>(['-n', namespace, 'pod', name]);
      const p = pod.status.phase ?? '';
      return p === 'Succeeded' || p === 'Failed' ? p : undefined;
    },
    120_000,
    500,
  );
  return { phase, log: await kOk(['-n', namespace, 'logs', name]) };
}

// Reads the mounted ServiceAccount files and lists this namespace's pods through the
// address every in-cluster client library uses; the TLS check is the default one.
const LIST_PODS_IN_CLUSTER = `
const fs = require('node:fs');
const https = require('node:https');
const dir = '/var/run/secrets/kubernetes.io/serviceaccount';
const ns = fs.readFileSync(dir + '/namespace', 'utf8');
const req = https.get({
  host: process.env.KUBERNETES_SERVICE_HOST,
  port: process.env.KUBERNETES_SERVICE_PORT,
  path: '/api/v1/namespaces/' + ns + '/pods',
  ca: fs.readFileSync(dir + '/ca.crt'),
  headers: { authorization: 'Bearer ' + fs.readFileSync(dir + '/token', 'utf8') },
  timeout: 20000,
}, (res) => {
  let body = '';
  res.on('data', (c) => (body += c));
  res.on('end', () => {
    const names = res.statusCode === 200 ? JSON.parse(body).items.map((p) => p.metadata.name) : [];
    console.log('via ' + process.env.KUBERNETES_SERVICE_HOST + ' status=' + res.statusCode + ' pods=' + names.join(','));
    process.exit(res.statusCode === 200 ? 0 : 1);
  });
});
req.on('timeout', () => req.destroy(new Error('timed out')));
req.on('error', (e) => { console.log('error ' + e.message); process.exit(1); });
`;

const ECHO_SERVER = `
require('node:http')
  .createServer((req, res) => res.end('hello from ' + process.env.HOSTNAME))
  .listen(8080);
`;

// Asks the echo pod through each address it is given, and prints each answer.
const ASK_ECHO = `
// A Service's endpoints reach kube-proxy's rules a moment after its pod turned Ready, so
// a refused connection is tried again, as a client would, for at most 20 s.
async function ask(url) {
  let last = '';
  for (let attempt = 0; attempt < 40; attempt++) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(15000) });
      return res.status + ' ' + (await res.text());
    } catch (e) {
      last = 'error ' + e.message + ' ' + (e.cause ? e.cause.code : '');
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  return last;
}
(async () => {
  const viaName = await ask('http://' + process.env.SERVICE_NAME + '/');
  const viaService = await ask('http://' + process.env.SERVICE_IP + '/');
  const viaPod = await ask('http://' + process.env.POD_IP + ':8080/');
  console.log('name: ' + viaName);
  console.log('service: ' + viaService);
  console.log('pod: ' + viaPod);
  const ok = [viaName, viaService, viaPod].every((a) => a.startsWith('200'));
  process.exit(ok ? 0 : 1);
})();
`;

describe.skipIf(skipReason !== '')(
  `pod network of the real node${skipReason === '' ? '' : ` (skipped: ${skipReason})`}`,
  () => {
    let namespace = '';

    beforeAll(async () => {
      namespace = await createNamespace('e2e-net');
    });

    afterAll(async () => {
      if (namespace !== '') await k(['delete', 'namespace', namespace, '--wait=false']);
    });

    it('a pod lists pods through the kubernetes Service with its ServiceAccount token', async () => {
      await kOk([
        '-n',
        namespace,
        'create',
        'role',
        'pod-reader',
        '--verb=list',
        '--resource=pods',
      ]);
      await kOk([
        '-n',
        namespace,
        'create',
        'rolebinding',
        'pod-reader',
        '--role=pod-reader',
        `--serviceaccount=${namespace}:default`,
      ]);
      await kOk(
        ['-n', namespace, 'apply', '-f', '-'],
        JSON.stringify(scriptPod('in-cluster-client', LIST_PODS_IN_CLUSTER)),
      );
      const { phase, log } = await outcome(namespace, 'in-cluster-client');
      expect(log).toContain('via 10.96.0.1 status=200');
      expect(log).toMatch(/pods=.*in-cluster-client/);
      expect(phase).toBe('Succeeded');
    });

    it('a pod reaches another pod through its Service name (cluster DNS), its ClusterIP and its pod IP', async () => {
      await kOk(
        ['-n', namespace, 'apply', '-f', '-'],
        JSON.stringify({
          ...scriptPod('echo', ECHO_SERVER),
          spec: {
            ...(scriptPod('echo', ECHO_SERVER)['spec'] as Record<string, unknown>),
            restartPolicy: 'Always',
          },
        }),
      );
      await kOk(['-n', namespace, 'expose', 'pod', 'echo', '--port=80', '--target-port=8080']);
      await kOk(['-n', namespace, 'wait', '--for=condition=Ready', 'pod/echo', '--timeout=120s']);
      const echo = await getJson<{ status: { podIP: string } }>(['-n', namespace, 'pod', 'echo']);
      const service = await getJson<{ spec: { clusterIP: string } }>([
        '-n',
        namespace,
        'service',
        'echo',
      ]);
      await kOk(
        ['-n', namespace, 'apply', '-f', '-'],
        JSON.stringify(
          scriptPod('echo-client', ASK_ECHO, {
            // As the operator writes Service URLs: <service>.<namespace>.svc, found through
            // the cluster search domains.
            SERVICE_NAME: `echo.${namespace}.svc`,
            SERVICE_IP: service.spec.clusterIP,
            POD_IP: echo.status.podIP,
          }),
        ),
      );
      const { phase, log } = await outcome(namespace, 'echo-client');
      expect(log).toContain('name: 200 hello from echo');
      expect(log).toContain('service: 200 hello from echo');
      expect(log).toContain('pod: 200 hello from echo');
      expect(phase).toBe('Succeeded');
    });
  },
);
