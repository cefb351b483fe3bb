/**
 * docs/operating.md's "Verdicts phase by phase" table must say what the fixtures say: the
 * same phases, the same conditions and the same kstatus and Argo CD verdicts. The kstatus
 * checker and Argo CD health tests prove the fixtures' verdicts, so the table stays true.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadStatusPhases, type StatusPhase } from '../fixtures/status-phases.js';

const DOC = fileURLToPath(new URL('../../docs/operating.md', import.meta.url));
const HEADER = /^\| Phase\s+\| What is happening\s+\| Conditions\s+\|/;
const LISTED = ['Ready', 'Reconciling', 'Stalled', 'Degraded'] as const;

interface Row {
  phase: string;
  conditions: string;
  kstatus: string;
  argocd: string;
}

function cells(line: string): string[] {
  return line
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split('|')
    .map((c) => c.trim());
}

/** The rows of the first table whose header matches HEADER. */
function phaseTable(markdown: string): Row[] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => HEADER.test(l));
  if (start < 0)
    throw new Error(`${DOC} has no table headed "| Phase | What is happening | Conditions |"`);
  const rows: Row[] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    const [phase = '', , conditions = '', kstatus = '', argocd = ''] = cells(line);
    rows.push({ phase: phase.replace(/`/g, ''), conditions, kstatus, argocd });
  }
  return rows;
}

/** "Ready=False `X`, Stalled=False" → what the cell claims, per condition type. */
function claimedConditions(cell: string): {
  generationBehind: boolean;
  claims: Map<string, [string, string?]>;
} {
  const generationBehind = /^observedGeneration \d+ < generation \d+; /.test(cell);
  const list = cell.replace(/^observedGeneration \d+ < generation \d+; /, '');
  const claims = new Map<string, [string, string?]>();
  if (list === 'no status yet') return { generationBehind, claims };
  for (const part of list.split(', ')) {
    const m = /^(\w+)=(True|False|Unknown)(?: `(\w+)`)?$/.exec(part);
    if (!m)
      throw new Error(
        `cannot read "${part}" in "${cell}"; write Type=Status and an optional \`Reason\``,
      );
    claims.set(m[1] ?? '', [m[2] ?? '', m[3]]);
  }
  return { generationBehind, claims };
}

function checkConditions(row: Row, fixture: StatusPhase): void {
  const { generationBehind, claims } = claimedConditions(row.conditions);
  const status = fixture.object.status;
  const behind = status?.observedGeneration !== fixture.object.metadata.generation;
  expect(generationBehind, 'the observedGeneration note').toBe(behind && status !== undefined);
  if (status?.conditions === undefined) {
    expect(row.conditions).toBe('no status yet');
    return;
  }
  expect([...claims.keys()].sort()).toEqual([...LISTED].sort());
  for (const [type, [want, reason]] of claims) {
    const actual = status.conditions.find((c) => c.type === type);
    expect(actual?.status, `${type} status`).toBe(want);
    if (reason !== undefined) expect(actual?.reason, `${type} reason`).toBe(reason);
  }
}

const rows = phaseTable(readFileSync(DOC, 'utf8'));
const phases = loadStatusPhases();

describe('docs/operating.md phase table', () => {
  it('has one row per status-phase fixture', () => {
    expect(rows.map((r) => r.phase).sort()).toEqual(phases.map((p) => p.phase).sort());
  });

  it.each(phases)('$phase: conditions and verdicts match the fixture', (fixture) => {
    const row = rows.find((r) => r.phase === fixture.phase);
    if (!row) throw new Error(`docs/operating.md has no row for ${fixture.phase}; add one`);
    checkConditions(row, fixture);
    expect(row.kstatus, 'kstatus column').toBe(fixture.expect.kstatus);
    expect(row.argocd, 'Argo CD column').toBe(fixture.expect.argocd);
  });
});
