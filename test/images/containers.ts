/**
 * Start the runtime image the way a hardened Kubernetes pod runs it: read-only root
 * filesystem, a tmpfs /tmp for the model cache, no capabilities, no privilege escalation,
 * the model mounted read-only. Every container carries a label so a crashed run's
 * leftovers are removed by the next globalSetup (Ryuk, testcontainers' reaper, would
 * have to be pulled from a registry, so it is disabled).
 */
import {
  GenericContainer,
  Wait,
  getContainerRuntimeClient,
  type StartedNetwork,
  type StartedTestContainer,
} from 'testcontainers';
import { IMAGES } from './images.js';

const TEST_LABEL = 'io.modeldeploy.test';
const TEST_LABEL_VALUE = 'images';
export const RUNTIME_PORT = 8080;

/** GenericContainer plus the one HostConfig switch testcontainers has no method for. */
class HardenedContainer extends GenericContainer {
  withReadOnlyRootFilesystem(): this {
    this.hostConfig.ReadonlyRootfs = true;
    return this;
  }
}

export interface RuntimeOptions {
  /** Default: this checkout's runtime image (IMAGES.runtime). */
  readonly image?: string;
  /**
   * Absolute host path of an .onnx file, mounted read-only at /models/model.onnx and
   * served as `modelName`; leave out for an image with a baked-in model.
   */
  readonly modelFile?: string;
  readonly modelName?: string;
  readonly env?: Readonly<Record<string, string>>;
  /** A network the suite created, to reach other containers of the suite by alias. */
  readonly network?: StartedNetwork;
}

export function startRuntime(options: RuntimeOptions): Promise<StartedTestContainer> {
  const mounted = options.modelFile !== undefined;
  const container = new HardenedContainer(options.image ?? IMAGES.runtime)
    .withReadOnlyRootFilesystem()
    .withTmpFs({ '/tmp': 'rw,nosuid,nodev,size=64m' })
    .withDroppedCapabilities('ALL')
    .withSecurityOpt('no-new-privileges')
    .withEnvironment({
      MODEL_VERSION: '1',
      ...(mounted ? { MODEL_URI: 'file:///models/model.onnx' } : {}),
      ...(options.modelName !== undefined ? { MODEL_NAME: options.modelName } : {}),
      ...options.env,
    })
    .withExposedPorts(RUNTIME_PORT)
    .withLabels({ [TEST_LABEL]: TEST_LABEL_VALUE })
    .withWaitStrategy(Wait.forHttp('/ready', RUNTIME_PORT).forStatusCode(200))
    .withStartupTimeout(60_000);
  if (options.network !== undefined) container.withNetwork(options.network);
  if (options.modelFile !== undefined) {
    container.withBindMounts([
      { source: options.modelFile, target: '/models/model.onnx', mode: 'ro' },
    ]);
  }
  return container.start();
}

// A static file server in plain node, so the model server needs no image but ours.
const SERVE_MODEL_JS = `
const fs = require('node:fs');
require('node:http')
  .createServer((req, res) => {
    res.setHeader('content-type', 'application/octet-stream');
    fs.createReadStream('/srv/model.onnx').pipe(res);
  })
  .listen(8000, () => console.log('serving /srv/model.onnx on :8000'));
`;

/**
 * A model server inside the suite's network, reachable from other containers at
 * http://<alias>:8000/<anything>, so the runtime's http:// download path is exercised
 * without any traffic leaving the machine.
 */
export function startModelServer(
  network: StartedNetwork,
  alias: string,
  modelFile: string,
): Promise<StartedTestContainer> {
  return new HardenedContainer(IMAGES.runtime)
    .withReadOnlyRootFilesystem()
    .withDroppedCapabilities('ALL')
    .withNetwork(network)
    .withNetworkAliases(alias)
    .withEntrypoint(['node', '-e', SERVE_MODEL_JS])
    .withBindMounts([{ source: modelFile, target: '/srv/model.onnx', mode: 'ro' }])
    .withLabels({ [TEST_LABEL]: TEST_LABEL_VALUE })
    .withWaitStrategy(Wait.forLogMessage('serving'))
    .start();
}

/** An image's filesystem and user, without running its entrypoint. */
export function startIdle(image: string): Promise<StartedTestContainer> {
  return new HardenedContainer(image)
    .withReadOnlyRootFilesystem()
    .withDroppedCapabilities('ALL')
    .withEntrypoint(['sleep', 'infinity'])
    .withLabels({ [TEST_LABEL]: TEST_LABEL_VALUE })
    .start();
}

export function baseUrl(container: StartedTestContainer): string {
  return `http://${container.getHost()}:${container.getMappedPort(RUNTIME_PORT)}`;
}

/** Sends SIGTERM (docker stop, the image's STOPSIGNAL) and returns the exit code. */
export async function stopGracefully(
  container: StartedTestContainer,
  graceMs: number,
): Promise<number> {
  await container.stop({ timeout: graceMs, remove: false });
  const client = await getContainerRuntimeClient();
  const handle = client.container.getById(container.getId());
  const info = await client.container.inspect(handle);
  return info.State.ExitCode;
}

export async function containerLogs(container: StartedTestContainer): Promise<string> {
  // Only after the container stopped: the stream follows the log until the container ends.
  let text = '';
  for await (const chunk of await container.logs()) text += String(chunk);
  return text;
}

export async function removeContainer(container: StartedTestContainer): Promise<void> {
  const client = await getContainerRuntimeClient();
  await client.container.remove(client.container.getById(container.getId()), {
    removeVolumes: true,
  });
}

/** Removes this project's containers; returns their names (empty when there were none). */
export async function removeLeftoverContainers(): Promise<string[]> {
  const client = await getContainerRuntimeClient();
  const leftovers = (await client.container.list()).filter(
    (c) => c.Labels[TEST_LABEL] === TEST_LABEL_VALUE,
  );
  for (const c of leftovers)
    await client.container.dockerode.getContainer(c.Id).remove({ force: true });
  return leftovers.map((c) => `${c.Names.join(',')} (${c.Image})`);
}
