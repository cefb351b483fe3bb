#!/usr/bin/env node
import { CONFIG_VARIABLES, ConfigError, parseConfig, type RuntimeConfig } from './config/index.js';
import { FlagError, variableToFlag } from './config/cli-flags.js';
import { describePendingWork } from './graceful-shutdown.js';
import { loadModel } from './model/load-model.js';
import { buildServer, type RuntimeServer } from './server.js';
import { writeTerminationMessage } from './termination-message.js';
import { storageReason } from './model/storage/storage-errors.js';

const USAGE = `modeldeploy-runtime: serve an ONNX model over REST (predict, KServe V1, Open Inference Protocol V2) and V2 gRPC

Usage: modeldeploy-runtime --model ./model.onnx [--port 8080] [--name NAME] [--version V] [flags]

Every flag is also an environment variable (flag --batch-max-size = BATCH_MAX_SIZE);
flags win. See docs/runtime.md for what each does. Flags:
${[...CONFIG_VARIABLES]
  .filter((v) => v !== 'HELP')
  .map((v) => `  ${variableToFlag(v).padEnd(30)} ${v}`)
  .join('\n')}
`;

async function main(argv: readonly string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return;
  }
  const config = configOrExit(argv);
  const server = await buildServer(config);
  const address = await server.app.listen({ host: config.server.host, port: config.server.port });
  const grpcPort = config.server.grpcPort;
  const grpc =
    server.grpc !== undefined && grpcPort !== undefined
      ? { grpcPort: await server.grpc.listen(config.server.host, grpcPort) }
      : {};
  server.logger.info({ address, ...grpc }, 'listening; loading model');
  installSignalHandlers(server, config);
  await loadAndServe(server, config);
}

function configOrExit(argv: readonly string[]): RuntimeConfig {
  try {
    return parseConfig(process.env, argv);
  } catch (err) {
    if (!(err instanceof ConfigError) && !(err instanceof FlagError)) throw err;
    const message = `modeldeploy-runtime: ${err.message}`;
    process.stderr.write(`${message}\n`);
    writeTerminationMessage(
      process.env.TERMINATION_MESSAGE_PATH ?? '/dev/termination-log',
      message,
    );
    process.exit(1);
  }
}

async function loadAndServe(server: RuntimeServer, config: RuntimeConfig): Promise<void> {
  const started = performance.now();
  try {
    const model = await loadModel(config, (step, detail) =>
      server.logger.info({ step, ...detail }, `model ${step}`),
    );
    if (server.state.phase === 'draining') return void (await model.release());
    server.attachModel(model);
    server.logger.info(
      {
        sha256: model.sha256,
        ms: Math.round(performance.now() - started),
        inputs: model.signature.inputs.length,
      },
      'model loaded, warmed up and checked: ready',
    );
  } catch (err) {
    // A storage failure leads with its reason (ModelAccessDenied: …) for the operator's status.
    const reason = storageReason(err);
    const message = `${reason !== undefined ? `${reason}: ` : ''}model '${config.model.name}' version '${config.model.version}' failed to load: ${(err as Error).message}`;
    server.state.markFailed(`model failed to load: ${(err as Error).message}`);
    server.logger.fatal({ err }, message);
    writeTerminationMessage(config.terminationMessagePath, message);
    process.exit(1);
  }
}

/**
 * SIGTERM/SIGINT: not ready at once, serve on for SHUTDOWN_DELAY_MS, then finish accepted
 * work; all within SHUTDOWN_GRACE_MS of the signal, exit 0.
 */
function installSignalHandlers(server: RuntimeServer, config: RuntimeConfig): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    server.logger.info(
      { signal, delayMs: config.server.shutdownDelayMs, graceMs: config.server.shutdownGraceMs },
      'shutting down: draining',
    );
    let cutShort = false;
    const timer = setTimeout(() => {
      cutShort = true;
      void exitAtDeadline(server, config.server.shutdownGraceMs);
    }, config.server.shutdownGraceMs);
    timer.unref();
    server
      .shutdown()
      .then(() => {
        // Past the deadline the exit code is 1, whichever finishes first.
        if (cutShort) return;
        server.logger.info('drained; exiting');
        process.exit(0);
      })
      .catch((err: unknown) => {
        server.logger.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

/**
 * SHUTDOWN_GRACE_MS passed: say what is cut short, drop it, and exit 1 once no onnxruntime
 * run is in progress. Exiting under a run in the session's worker thread makes onnxruntime
 * abort the process (exit 134, "terminate called after throwing an instance of
 * 'Napi::Error'"), and a run cannot be interrupted; if one outlasts the pod's remaining
 * grace, the kubelet's SIGKILL ends it.
 */
async function exitAtDeadline(server: RuntimeServer, graceMs: number): Promise<void> {
  const work = await server.pendingWork();
  server.logger.error(
    { graceMs, ...work },
    `shutdown deadline reached: ${describePendingWork(work)} cut short after SHUTDOWN_GRACE_MS=${graceMs}; exiting 1`,
  );
  try {
    await server.abandon();
  } finally {
    process.exit(1);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`modeldeploy-runtime: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
