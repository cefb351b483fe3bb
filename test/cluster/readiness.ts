import { request } from 'node:https';
import { request as httpRequest } from 'node:http';
import { logTail, type Component } from './processes.js';

interface Condition {
  readonly type?: unknown;
  readonly status?: unknown;
}

interface WithConditions {
  readonly metadata?: { readonly name?: unknown };
  readonly status?: { readonly conditions?: readonly Condition[] };
}

function items(list: unknown): WithConditions[] {
  const value = (list as { items?: unknown } | null)?.items;
  return Array.isArray(value) ? (value as WithConditions[]) : [];
}

export function hasTrueCondition(obj: WithConditions, type: string): boolean {
  return (obj.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');
}

/** True when every named node exists in the NodeList and reports Ready=True. */
export function nodesReady(nodeList: unknown, names: readonly string[]): boolean {
  const ready = new Set(
    items(nodeList)
      .filter((n) => hasTrueCondition(n, 'Ready'))
      .map((n) => n.metadata?.name),
  );
  return names.every((n) => ready.has(n));
}

/** Names of CRDs in a CustomResourceDefinitionList that are not yet Established. */
export function crdsNotEstablished(crdList: unknown): string[] {
  return items(crdList)
    .filter((c) => !hasTrueCondition(c, 'Established'))
    .map((c) => String(c.metadata?.name));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface WaitOptions {
  readonly timeoutMs: number;
  /** Components that must stay up while we wait; a crash ends the wait with its log. */
  readonly watch: readonly Component[];
  readonly intervalMs?: number;
}

function crashReport(components: readonly Component[]): string | undefined {
  const dead = components.find((c) => c.hasExited());
  if (dead === undefined) return undefined;
  return `${dead.name} exited during startup; last lines of ${dead.logFile}:\n${logTail(dead.logFile)}`;
}

/** Poll `check` until it returns true; errors from `check` count as "not yet". */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  opts: WaitOptions,
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastError = '';
  for (;;) {
    const crash = crashReport(opts.watch);
    if (crash !== undefined) throw new Error(`waiting for ${what}: ${crash}`);
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() > deadline) {
      const logs = opts.watch.map(
        (c) => `--- ${c.name} (${c.logFile}):\n${logTail(c.logFile, 10)}`,
      );
      throw new Error(
        `timed out after ${opts.timeoutMs} ms waiting for ${what}` +
          (lastError === '' ? '' : ` (last error: ${lastError})`) +
          `\n${logs.join('\n')}`,
      );
    }
    await sleep(opts.intervalMs ?? 100);
  }
}

/** GET a loopback health endpoint; `insecure` for components with self-signed certs. */
export function healthy(url: string): Promise<boolean> {
  const isHttps = url.startsWith('https:');
  const send = isHttps ? request : httpRequest;
  return new Promise((resolve) => {
    const req = send(url, { rejectUnauthorized: false, timeout: 2_000, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}
