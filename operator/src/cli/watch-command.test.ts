import { describe, expect, it } from 'vitest';
import type { ModelDeploymentObject } from './cluster-objects.js';
import type { ApiResponse, KubeSession } from './kube-session.js';
import { EXIT } from './rollout-outcome.js';
import { runWatch } from './watch-command.js';

/** Serves the ModelDeployment states in turn (the last one repeats); children are absent. */
function sessionServing(states: ModelDeploymentObject[]): KubeSession {
  let reads = 0;
  return {
    namespace: 'ml',
    context: 'test',
    request: async (_method: string, path: string): Promise<ApiResponse> => {
      if (!path.includes('/modeldeployments/')) return { status: 404, headers: {}, body: '' };
      const md = states[Math.min(reads++, states.length - 1)];
      return { status: 200, headers: {}, body: JSON.stringify(md) };
    },
  };
}

function md(phase: string | undefined, generation = 1): ModelDeploymentObject {
  return {
    metadata: { name: 'iris', namespace: 'ml', generation },
    spec: { model: { version: '1' }, canary: { model: { version: '2' } } },
    status: {
      observedGeneration: 1,
      canary: phase === undefined ? undefined : { phase: phase as 'Progressing' },
    },
  };
}

function clock(): { now(): Date; sleep(ms: number): Promise<void> } {
  let t = 0;
  return { now: () => new Date(t), sleep: async (ms) => void (t += ms) };
}

function capture(): {
  out: string[];
  err: string[];
  io: { out(s: string): void; err(s: string): void; tty: boolean };
} {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: { out: (s) => void out.push(s), err: (s) => void err.push(s), tty: false },
  };
}

describe('runWatch', () => {
  it('prints each changed tree once and exits 0 when the rollout is promoted', async () => {
    const { out, io } = capture();
    const states = [md('Progressing'), md('Progressing'), md('Promoting'), md('Promoted')];
    const code = await runWatch(sessionServing(states), 'iris', io, {
      timeoutSeconds: 60,
      intervalSeconds: 1,
      ...clock(),
    });
    expect(code).toBe(EXIT.settled);
    expect(out.filter((s) => s.includes('ModelDeployment ml/iris'))).toHaveLength(3);
    expect(out[out.length - 1]).toBe('settled: promoted\n');
  });

  it('does not conclude from a status older than the spec, and gives up with 3 at the timeout', async () => {
    const { err, io } = capture();
    const code = await runWatch(sessionServing([md('Promoted', 2)]), 'iris', io, {
      timeoutSeconds: 10,
      intervalSeconds: 2,
      ...clock(),
    });
    expect(code).toBe(EXIT.timeout);
    expect(err.join('')).toMatch(/timed out after 10 s/);
  });
});
