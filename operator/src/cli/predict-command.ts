import { readFileSync } from 'node:fs';
import { apiFailure, CliError } from './api-failure.js';
import type { CliOutput } from './cli-output.js';
import { fetchModelDeployment } from './fetch-snapshot.js';
import type { KubeSession } from './kube-session.js';
import { predictTarget, servingTrack } from './predict-target.js';

/** Where predict reads an API key for a model with spec.auth (an env var keeps it out of shell history). */
export const API_KEY_ENV = 'MODELDEPLOY_API_KEY';

function readRequest(file: string): { text: string; json: unknown } {
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read the request ${file}: ${(err as Error).message}`);
  }
  try {
    return { text, json: JSON.parse(text) };
  } catch (err) {
    throw new CliError(`the request in ${file} is not JSON (${(err as Error).message})`);
  }
}

/** One inference through the API server's service proxy; prints the answer and who served it. */
export async function runPredict(
  session: KubeSession,
  name: string,
  file: string,
  version: string | undefined,
  io: CliOutput,
): Promise<number> {
  const request = readRequest(file);
  const md = await fetchModelDeployment(session, name);
  const choice = predictTarget(md, request.json, version);
  if (!choice.ok) throw new CliError(choice.reason);
  const { target } = choice;
  // The API server keeps Authorization for itself; x-api-key reaches the runtime.
  const key = process.env[API_KEY_ENV];
  const headers: Record<string, string> = key ? { 'x-api-key': key } : {};
  const res = await session.request(
    'POST',
    target.proxyPath,
    request.text,
    'application/json',
    headers,
  );
  const served = res.headers['x-model-version'];
  if (served === undefined && (res.status === 403 || res.status === 404)) {
    const failure = apiFailure(res.status, res.body, {
      verb: 'create',
      resource: 'services/proxy',
      name: target.service,
      namespace: session.namespace,
      context: session.context,
    });
    // RBAC's refusal, or a Service that does not exist; anything else is the proxy's own answer.
    if (!/answered HTTP/.test(failure.message)) throw failure;
  }
  if (res.status === 401 && served !== undefined) {
    throw new CliError(
      `the model (version ${String(served)}) requires an API key (spec.auth): put one in the ${API_KEY_ENV} environment variable`,
    );
  }
  if (res.status < 200 || res.status > 299) {
    const from =
      served === undefined ? 'the service proxy' : `the model (version ${String(served)})`;
    throw new CliError(
      `POST ${target.route} on Service ${target.service} answered HTTP ${res.status} from ${from}: ${res.body.trim().slice(0, 500)}`,
    );
  }
  io.out(`${pretty(res.body)}\n`);
  io.err(
    `served by ${servingTrack(md, typeof served === 'string' ? served : undefined)} via Service ${target.service}, ${target.route}\n`,
  );
  return 0;
}

function pretty(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}
