/**
 * `npm start -- --context NAME`: the chart installed with helm on a cluster the user
 * already has, the images made available to it, examples/ applied, and the same ending as
 * the embedded cluster (status table, events, one prediction through a port-forward and
 * the curl line). `--cleanup` removes what it installed. Every command names the context.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureTools } from '../../test/cluster/tools.js';
import { imageName } from '../../test/support/image-tag.js';
import { goldenRequestBody } from './demo-traffic.js';
import {
  contextHelm,
  contextKubectl,
  runOk,
  runTool,
  targetArgs,
  type ContextTarget,
  type Run,
} from './context-kubectl.js';
import { checkContext } from './context-preflight.js';
import { chooseImageDelivery, deliveredName, deliveryCommands } from './image-delivery.js';
import { portForward, predict, type Forward } from './port-forward.js';
import { readiness, READY_LINES_JSONPATH, routeNote } from './ready-lines.js';
import type { StartMode } from './start-args.js';

type ContextMode = Extract<StartMode, { kind: 'context' }>;

export interface StartIo {
  readonly repo: string;
  readonly say: (line: string) => void;
  readonly step: <T>(what: string, run: () => Promise<T>) => Promise<T>;
}

/** Where the chart goes and where the examples go; --cleanup removes both. */
export const RELEASE = 'modeldeploy';
export const SYSTEM_NAMESPACE = 'modeldeploy-system';
export const EXAMPLES_NAMESPACE = 'modeldeploy-examples';
/** Records what the install added, so --cleanup removes that and nothing the user had. */
const RECORD = 'modeldeploy-npm-start';
const CRD = 'customresourcedefinitions/modeldeployments.modeldeploy.io';
const PREDICT_EXAMPLE = 'iris-tiny';

interface Tools {
  readonly kubectlBin: string;
  readonly kubectl: Run;
  readonly helm: Run;
  readonly target: ContextTarget;
}

async function tools(mode: ContextMode): Promise<Tools> {
  const built = await ensureTools();
  const target: ContextTarget = {
    context: mode.context,
    ...(mode.kubeconfig !== undefined ? { kubeconfig: mode.kubeconfig } : {}),
  };
  return {
    kubectlBin: built.bin.kubectl,
    kubectl: contextKubectl(built.bin.kubectl, target),
    helm: contextHelm(built.bin.helm, target),
    target,
  };
}

export async function startOnContext(mode: ContextMode, io: StartIo): Promise<void> {
  const t = await tools(mode);
  const version = await io.step(
    `check that context ${mode.context} answers and may install the chart`,
    () => checkContext(t.kubectl, mode.context),
  );
  io.say(`    ${mode.context}: Kubernetes ${version}`);
  if (mode.cleanup) {
    await io.step(`remove what npm start installed on ${mode.context}`, () => cleanup(t, io));
    return;
  }
  await install(mode, t, io);
  await showExamples(t, io);
}

async function install(mode: ContextMode, t: Tools, io: StartIo): Promise<void> {
  const delivery = chooseImageDelivery(mode.context, mode.registry, mode.imagesPresent);
  const operatorImage = imageName('operator');
  const runtimeImage = imageName('runtime-examples');
  await io.step('build the operator and runtime images (cached when unchanged)', () =>
    runOk(
      (args) => runTool('bash', args),
      [join(io.repo, 'scripts', 'build-images.sh'), 'operator', 'runtime-examples'],
    ),
  );
  await io.step(`make the images available (${delivery.kind})`, async () => {
    for (const image of [operatorImage, runtimeImage]) {
      for (const argv of deliveryCommands(delivery, image)) {
        const [bin = '', ...args] = argv;
        io.say(`    ${argv.join(' ')}`);
        await runOk((a) => runTool(bin, a), args);
      }
    }
  });
  const crdExisted = (await t.kubectl(['get', CRD])).code === 0;
  const operator = deliveredName(delivery, operatorImage);
  const [repository = '', tag = ''] = operator.split(/:(?=[^:/]+$)/);
  await io.step(`helm upgrade --install ${RELEASE} charts/modeldeploy -n ${SYSTEM_NAMESPACE}`, () =>
    runOk(t.helm, [
      'upgrade',
      '--install',
      RELEASE,
      join(io.repo, 'charts', 'modeldeploy'),
      '--namespace',
      SYSTEM_NAMESPACE,
      '--create-namespace',
      '--set',
      `image.repository=${repository}`,
      '--set',
      `image.tag=${tag}`,
      '--set',
      `runtimeImage=${deliveredName(delivery, runtimeImage)}`,
      '--wait',
      '--timeout=5m',
    ]),
  );
  await runOk(t.kubectl, ['apply', '-f', '-'], JSON.stringify(record(crdExisted)));
}

/** The ConfigMap that tells --cleanup whether the CRD was ours to remove. */
function record(crdExisted: boolean): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: RECORD, namespace: SYSTEM_NAMESPACE },
    data: { crdInstalledByNpmStart: String(!crdExisted), examplesNamespace: EXAMPLES_NAMESPACE },
  };
}

async function showExamples(t: Tools, io: StartIo): Promise<void> {
  const files = readdirSync(join(io.repo, 'examples')).filter((f) => f.endsWith('.yaml'));
  await io.step(
    `apply examples/ (${files.join(', ')}) in namespace ${EXAMPLES_NAMESPACE}`,
    async () => {
      await runOk(t.kubectl, [
        'create',
        'namespace',
        EXAMPLES_NAMESPACE,
        '--dry-run=client',
        '-o',
        'json',
      ]).then((ns) => runOk(t.kubectl, ['apply', '-f', '-'], ns));
      for (const f of files) {
        const text = readFileSync(join(io.repo, 'examples', f), 'utf8');
        io.say(await runOk(t.kubectl, ['apply', '-n', EXAMPLES_NAMESPACE, '-f', '-'], text));
      }
    },
  );
  const forward = await predictOnce(t, io);
  await io.step('wait for every ModelDeployment to be Ready (up to 4 min)', () =>
    waitAllReady(t, io),
  );
  io.say(await runOk(t.kubectl, ['get', 'mdep', '-n', EXAMPLES_NAMESPACE, '-o', 'wide']));
  io.say(
    await runOk(t.kubectl, [
      'get',
      'events',
      '-n',
      EXAMPLES_NAMESPACE,
      '--field-selector',
      'reportingComponent=modeldeploy.io/operator',
      '--sort-by=.metadata.creationTimestamp',
    ]),
  );
  io.say(
    "No Prometheus was installed: examples/full.yaml's canary holds at its first step until its analysis.prometheusUrl names one the chart allows (analysis.allowedPrometheusUrls; docs/canary.md).",
  );
  io.say(`Remove it all with: npm start -- --context ${t.target.context} --cleanup`);
  if (forward !== undefined) {
    const stop = (): void => {
      forward.child.kill('SIGTERM');
      process.exit(0);
    };
    // Before the line that invites Ctrl-C: a Ctrl-C that came between the two would find
    // no handler and kill the process by signal, skipping the port-forward's stop.
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    io.say('The port-forward stays up until Ctrl-C; the install stays after it.');
    setInterval(() => undefined, 1 << 30);
  }
}

async function predictOnce(t: Tools, io: StartIo): Promise<Forward | undefined> {
  const ready = await io.step(`wait for ${PREDICT_EXAMPLE} to be Ready (up to 4 min)`, () =>
    waitReady(t, PREDICT_EXAMPLE),
  );
  if (!ready) {
    io.say(
      `${PREDICT_EXAMPLE} is not Ready; \`kubectl --context ${t.target.context} -n ${EXAMPLES_NAMESPACE} describe mdep ${PREDICT_EXAMPLE}\` tells why.`,
    );
    return undefined;
  }
  const forward = await io.step(`kubectl port-forward service/${PREDICT_EXAMPLE} (loopback)`, () =>
    portForward(t.kubectlBin, targetArgs(t.target), EXAMPLES_NAMESPACE, PREDICT_EXAMPLE),
  );
  const url = `http://127.0.0.1:${forward.port}/v2/models/${PREDICT_EXAMPLE}/infer`;
  const body = goldenRequestBody(io.repo, 'mlp-tiny');
  const answer = await io.step('send a V2 prediction through the port-forward', () =>
    predict(url, body),
  );
  io.say(`    answer: ${answer.slice(0, 300)}${answer.length > 300 ? '...' : ''}`);
  io.say(`    curl -s -X POST ${url} -H 'content-type: application/json' -d '${body}'`);
  return forward;
}

/** The Ready condition's status of one example ('' when it has none yet or is missing). */
async function readyStatus(t: Tools, name: string): Promise<string> {
  const res = await t.kubectl([
    'get',
    'mdep',
    name,
    '-n',
    EXAMPLES_NAMESPACE,
    '-o',
    'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
  ]);
  return res.code === 0 ? res.stdout.trim() : '';
}

async function poll(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 2_000));
  }
  return false;
}

function waitReady(t: Tools, name: string): Promise<boolean> {
  return poll(async () => (await readyStatus(t, name)) === 'True', 240_000);
}

async function waitAllReady(t: Tools, io: StartIo): Promise<boolean> {
  let note: string | undefined;
  const settled = await poll(async () => {
    const res = await t.kubectl([
      'get',
      'mdep',
      '-n',
      EXAMPLES_NAMESPACE,
      '-o',
      READY_LINES_JSONPATH,
    ]);
    const state = readiness(res.code === 0 ? res.stdout : '');
    note = routeNote(state.waitingForRoute);
    return state.settled;
  }, 240_000);
  if (note !== undefined) io.say(`    ${note}`);
  return settled;
}

/** Uninstalls the release and removes the namespaces, and the CRD only when it was ours. */
async function cleanup(t: Tools, io: StartIo): Promise<void> {
  const rec = await t.kubectl(['get', 'configmap', RECORD, '-n', SYSTEM_NAMESPACE, '-o', 'json']);
  if (rec.code !== 0) {
    io.say(
      `    nothing to remove: no ${SYSTEM_NAMESPACE}/${RECORD} (npm start installed nothing here, or it was removed already)`,
    );
    return;
  }
  const data = (JSON.parse(rec.stdout) as { data?: Record<string, string> }).data ?? {};
  // ModelDeployments first, while the operator still runs to see them go.
  await runOk(t.kubectl, [
    'delete',
    'namespace',
    EXAMPLES_NAMESPACE,
    '--ignore-not-found',
    '--wait=true',
    '--timeout=3m',
  ]);
  io.say(`    deleted namespace ${EXAMPLES_NAMESPACE}`);
  const release = await t.helm(['uninstall', RELEASE, '--namespace', SYSTEM_NAMESPACE, '--wait']);
  io.say(`    helm uninstall ${RELEASE}: ${release.code === 0 ? 'done' : release.stderr.trim()}`);
  await runOk(t.kubectl, [
    'delete',
    'namespace',
    SYSTEM_NAMESPACE,
    '--ignore-not-found',
    '--wait=true',
    '--timeout=3m',
  ]);
  io.say(`    deleted namespace ${SYSTEM_NAMESPACE}`);
  if (data['crdInstalledByNpmStart'] === 'true') {
    await runOk(t.kubectl, ['delete', CRD, '--ignore-not-found']);
    io.say('    deleted the ModelDeployment CRD (npm start had installed it)');
  } else {
    io.say('    kept the ModelDeployment CRD: it was there before npm start');
  }
}
