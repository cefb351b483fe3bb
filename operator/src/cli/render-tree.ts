import type { Condition } from '../api/model-deployment-status.js';
import type { DeploymentObject, HpaMetric, HpaObject, Snapshot } from './cluster-objects.js';

/** A node of the printed tree: its own line and the lines nested under it. */
interface Node {
  text: string;
  children: Node[];
}

const leaf = (text: string): Node => ({ text, children: [] });

/**
 * Renders what `kubectl mdep get` prints. Pure: the same snapshot and clock give the same
 * text, so the layout is unit-tested and the command only fetches and prints.
 */
export function renderTree(snapshot: Snapshot, now: Date): string {
  const { md } = snapshot;
  const ns = md.metadata.namespace ?? '';
  const model = md.status?.model ?? md.spec.model.name ?? md.metadata.name;
  const root: Node = {
    text: `ModelDeployment ${ns}/${md.metadata.name} (model ${model})`,
    children: [
      leaf(`Status:   ${summary(snapshot)}`),
      ...(md.spec.paused
        ? [leaf('Paused:   yes (spec.paused); nothing changes until resume')]
        : []),
      ...canaryNodes(snapshot, now),
      trackNode('stable', snapshot, snapshot.stable),
      ...(md.spec.canary || md.status?.canary?.replicas
        ? [trackNode('canary', snapshot, snapshot.canary)]
        : []),
      ...(snapshot.hpa ? [hpaNode(snapshot.hpa)] : []),
      conditionsNode(md.status?.conditions ?? []),
    ],
  };
  return [root.text, ...lines(root.children, '')].join('\n') + '\n';
}

function lines(nodes: readonly Node[], indent: string): string[] {
  return nodes.flatMap((node, i) => {
    const last = i === nodes.length - 1;
    return [
      `${indent}${last ? '└─ ' : '├─ '}${node.text}`,
      ...lines(node.children, `${indent}${last ? '   ' : '│  '}`),
    ];
  });
}

/** One word for the whole object, the way kubectl's STATUS column reads. */
function summary(snapshot: Snapshot): string {
  const conditions = snapshot.md.status?.conditions ?? [];
  const ready = find(conditions, 'Ready');
  const stalled = find(conditions, 'Stalled');
  const phase = snapshot.md.status?.canary?.phase;
  if (stalled?.status === 'True') return `Stalled (${stalled.reason})`;
  if (phase !== undefined && phase !== 'Promoted' && phase !== 'Aborted')
    return `Rolling out (${phase})`;
  if (ready === undefined) return 'Unknown (no Ready condition yet; is the operator running?)';
  return ready.status === 'True' ? `Ready (${ready.reason})` : `Not ready (${ready.reason})`;
}

function canaryNodes(snapshot: Snapshot, now: Date): Node[] {
  const spec = snapshot.md.spec.canary;
  const status = snapshot.md.status?.canary;
  if (spec === undefined && status === undefined) return [];
  const steps = spec?.steps ?? [];
  const step = status?.step;
  const stepText =
    step === undefined
      ? ''
      : `  step ${step + 1}/${steps.length} (weight ${steps[step]?.weight ?? '?'} %)`;
  const flags = [spec?.promote ? 'promote requested' : '', spec?.abort ? 'abort requested' : '']
    .filter((f) => f !== '')
    .join(', ');
  const children: Node[] = [];
  if (status?.message) children.push(leaf(`Message:  ${status.message}`));
  if (status?.abortReason) children.push(leaf(`Aborted:  ${status.abortReason}`));
  children.push(leaf(analysisText(snapshot, now)));
  const head = `Rollout:  ${status?.phase ?? 'not started'} → ${spec?.model.version ?? status?.version ?? '?'}${stepText}`;
  return [{ text: flags ? `${head}  [${flags}]` : head, children }];
}

function analysisText(snapshot: Snapshot, now: Date): string {
  const last = snapshot.md.status?.canary?.lastAnalysis;
  const failed = snapshot.md.status?.canary?.failedChecks ?? 0;
  if (last === undefined) {
    const configured = snapshot.md.spec.canary?.analysis?.prometheusUrl !== undefined;
    return configured
      ? 'Analysis: none yet'
      : 'Analysis: not configured (steps advance on time alone)';
  }
  const measured = [
    last.errorRate === undefined ? '' : `error rate ${percent(last.errorRate)}`,
    last.latencyP95Ms === undefined ? '' : `p95 ${round(last.latencyP95Ms)} ms`,
  ].filter((m) => m !== '');
  const values = measured.length > 0 ? `, ${measured.join(', ')}` : '';
  return `Analysis: ${last.verdict} ${age(last.time, now)}${values}; failed checks ${failed}; ${last.message}`;
}

function trackNode(
  track: 'stable' | 'canary',
  snapshot: Snapshot,
  dep: DeploymentObject | undefined,
): Node {
  const status = snapshot.md.status?.[track];
  const version =
    status?.version ??
    (track === 'stable' ? snapshot.md.spec.model.version : snapshot.md.spec.canary?.model.version);
  const ready = dep?.status?.readyReplicas ?? status?.readyReplicas ?? 0;
  const desired = dep?.spec?.replicas ?? status?.replicas;
  const pods = `${ready}/${desired ?? '?'} ready`;
  const weight = status?.weight === undefined ? 'traffic ?' : `traffic ${status.weight} %`;
  const name =
    dep?.metadata.name ??
    (track === 'stable' ? snapshot.md.metadata.name : `${snapshot.md.metadata.name}-canary`);
  const where = dep === undefined ? 'no Deployment' : `Deployment ${name}`;
  return leaf(
    `${track.padEnd(6)}   ${(version ?? '?').padEnd(10)} pods ${pods.padEnd(11)} ${weight.padEnd(13)} ${where}`,
  );
}

function hpaNode(hpa: HpaObject): Node {
  const metrics = hpa.spec.metrics ?? [];
  const current = hpa.status?.currentMetrics ?? [];
  const readings = metrics.map(
    (m, i) => `${metricName(m)} ${metricValue(current[i], 'current')}/${metricValue(m, 'target')}`,
  );
  const replicas = `replicas ${hpa.status?.currentReplicas ?? '?'} (wants ${hpa.status?.desiredReplicas ?? '?'}, ${hpa.spec.minReplicas ?? 1}–${hpa.spec.maxReplicas})`;
  const limited = (hpa.status?.conditions ?? []).filter(
    (c) =>
      (c.type === 'ScalingActive' && c.status === 'False') ||
      (c.type === 'AbleToScale' && c.status === 'False'),
  );
  return {
    text: `HPA      ${hpa.metadata.name}: ${readings.join(', ') || 'no metrics'}; ${replicas}`,
    children: limited.map((c) => leaf(`${c.type}=False ${c.reason ?? ''}: ${c.message ?? ''}`)),
  };
}

function metricName(metric: HpaMetric): string {
  return metric.pods?.metric.name ?? metric.resource?.name ?? metric.type;
}

function metricValue(metric: HpaMetric | undefined, which: 'current' | 'target'): string {
  const value = metric?.pods?.[which] ?? metric?.resource?.[which];
  if (value === undefined) return '<unknown>';
  if (value.averageUtilization !== undefined) return `${value.averageUtilization}%`;
  return value.averageValue ?? value.value ?? '<unknown>';
}

function conditionsNode(conditions: readonly Condition[]): Node {
  return {
    text: conditions.length === 0 ? 'Conditions: none yet' : 'Conditions',
    children: conditions.map((c) =>
      leaf(`${c.type}=${c.status} ${c.reason}${c.message ? `: ${c.message}` : ''}`),
    ),
  };
}

function find(conditions: readonly Condition[], type: string): Condition | undefined {
  return conditions.find((c) => c.type === type);
}

function percent(fraction: number): string {
  return `${round(fraction * 100)} %`;
}

function round(value: number): string {
  return String(Math.round(value * 100) / 100);
}

/** "12s ago", from an RFC 3339 time and the injected clock. */
export function age(time: string, now: Date): string {
  const ms = now.getTime() - Date.parse(time);
  if (!Number.isFinite(ms)) return `at ${time}`;
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s ago`;
  if (s < 7200) return `${Math.round(s / 60)}m ago`;
  return `${Math.round(s / 3600)}h ago`;
}
