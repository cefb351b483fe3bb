/**
 * The shipped Argo CD health check, docs/argocd/modeldeployment-health.lua, run by a real
 * Lua interpreter on the status-phase fixtures (whose kstatus verdicts the kstatus checker
 * test asserts) and on the orderings a fixture does not pin down.
 */
import { describe, expect, it } from 'vitest';
import { loadStatusPhases, type PhaseObject } from '../fixtures/status-phases.js';
import { argoHealthOf, toLuaLiteral } from '../support/argocd-health.js';

const phases = loadStatusPhases();

function phase(name: string): PhaseObject {
  const found = phases.find((p) => p.phase === name);
  if (!found) throw new Error(`no fixture ${name}.json in test/fixtures/status-phases`);
  return structuredClone(found.object);
}

/** What the message must say for the user to act, per phase. */
const messageSays: Record<string, string> = {
  submitted: 'waiting for the operator to observe generation 1',
  created: 'WaitingForReady: 0 of 2 pods are ready',
  'spec-edited': 'waiting for the operator to observe generation 3',
  'rolling-out': 'RollingUpdate: 1 of 2 pods run the new version',
  'canary-progressing': 'CanaryProgressing: step 1 of 2',
  paused: 'Paused: paused: serving version v1; spec.model.version v2 is not rolled out',
  'model-load-failure': 'ModelLoadFailed: pod iris-',
  'missing-secret': 'WaitingForSecret: Secret iris-api-keys not found',
  'scaled-to-zero': 'ScaledToZero: scaled to zero as spec.replicas asks',
  'aborted-canary': 'remove spec.canary',
  settled: 'Serving: serving version v1',
};

describe('Argo CD health check on the status-phase fixtures', () => {
  it.each(phases)('$phase → $expect.argocd', async ({ phase: name, object, expect: want }) => {
    const hs = await argoHealthOf(object);
    expect(hs.status, hs.message).toBe(want.argocd);
    expect(hs.message).toContain(messageSays[name] ?? `a message check for ${name}`);
  });
});

describe('Argo CD health check orderings', () => {
  it('an unobserved generation is Progressing even when paused', async () => {
    const obj = phase('paused');
    const generation = obj.metadata.generation + 1;
    expect(await argoHealthOf({ ...obj, metadata: { ...obj.metadata, generation } })).toEqual({
      status: 'Progressing',
      message: `waiting for the operator to observe generation ${generation}`,
    });
  });

  it('an aborted canary is Degraded by its phase alone and tells the user to fix Git', async () => {
    const obj = phase('aborted-canary');
    const conditions = obj.status?.conditions ?? [];
    const stalledFree = conditions.map((c) =>
      c.type === 'Stalled' || c.type === 'Degraded' ? { ...c, status: 'False' } : c,
    );
    const hs = await argoHealthOf({ ...obj, status: { ...obj.status, conditions: stalledFree } });
    expect(hs.status).toBe('Degraded');
    expect(hs.message).toMatch(/^canary aborted: AnalysisFailed: .*spec\.canary in Git/);
  });

  it('an aborted canary is Degraded by its Degraded condition alone', async () => {
    const obj = phase('aborted-canary');
    const conditions = (obj.status?.conditions ?? [])
      .filter((c) => c.type !== 'Stalled')
      .map((c) => (c.type === 'Degraded' ? { ...c, reason: 'CanaryAborted' } : c));
    const status = { ...obj.status, conditions, canary: undefined };
    const hs = await argoHealthOf({ ...obj, status });
    expect(hs.status).toBe('Degraded');
    expect(hs.message).toContain('spec.canary in Git');
  });

  it('Ready=Unknown is Progressing with its reason', async () => {
    const obj = phase('settled');
    const conditions = (obj.status?.conditions ?? []).map((c) =>
      c.type === 'Ready' ? { ...c, status: 'Unknown', reason: 'Probing', message: 'x' } : c,
    );
    const hs = await argoHealthOf({ ...obj, status: { ...obj.status, conditions } });
    expect(hs).toEqual({ status: 'Progressing', message: 'Probing: x' });
  });

  it('no Ready condition is Progressing, never Healthy', async () => {
    const obj = phase('settled');
    const hs = await argoHealthOf({ ...obj, status: { ...obj.status, conditions: [] } });
    expect(hs.status).toBe('Progressing');
  });
});

describe('toLuaLiteral', () => {
  it('keeps quotes, backslashes, newlines and UTF-8 intact through Lua', async () => {
    const obj = phase('settled');
    const text = 'quote " backslash \\ newline \n tab \t ü → ✓';
    const conditions = (obj.status?.conditions ?? []).map((c) =>
      c.type === 'Ready' ? { ...c, message: text } : c,
    );
    const hs = await argoHealthOf({ ...obj, status: { ...obj.status, conditions } });
    expect(hs.message).toBe(`Serving: ${text}`);
  });

  it('writes JSON shapes as table constructors', () => {
    expect(toLuaLiteral({ a: [1, 'x'], b: null, c: true })).toBe(
      '{["a"] = {1, "x"}, ["c"] = true}',
    );
  });
});
