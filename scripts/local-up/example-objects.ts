/**
 * The objects of examples/*.yaml as `npm start` applies them. The examples stay portable
 * (a user applies them to any cluster and edits the Prometheus URL, as full.yaml's comment
 * says); `npm start` points every canary analysis at the Prometheus it started itself,
 * whose port is only known once it listens.
 */
import { parseAllDocuments } from 'yaml';

/** One Kubernetes object of an example file, as plain data. */
export type ExampleObject = Record<string, unknown>;

/** The documents of one YAML file that are objects (empty documents and comments skipped). */
export function readExampleObjects(text: string): ExampleObject[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`invalid YAML: ${doc.errors[0]?.message}`);
      return doc.toJS() as unknown;
    })
    .filter((o): o is ExampleObject => typeof o === 'object' && o !== null && !Array.isArray(o));
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** The spec.canary.analysis of a ModelDeployment, when it has one. */
function analysisOf(obj: ExampleObject): Record<string, unknown> | undefined {
  if (obj['kind'] !== 'ModelDeployment') return undefined;
  return record(record(record(obj['spec'])?.['canary'])?.['analysis']);
}

/**
 * Copies of `objects` with every canary analysis reading `prometheusUrl`; also the names of
 * the ModelDeployments changed, so the caller can say which examples now run analysis.
 */
export function pointAnalysisAt(
  objects: readonly ExampleObject[],
  prometheusUrl: string,
): { objects: ExampleObject[]; changed: string[] } {
  const changed: string[] = [];
  const copies = objects.map((obj) => {
    const copy = structuredClone(obj);
    const analysis = analysisOf(copy);
    if (analysis !== undefined) {
      analysis['prometheusUrl'] = prometheusUrl;
      changed.push(String(record(copy['metadata'])?.['name'] ?? '?'));
    }
    return copy;
  });
  return { objects: copies, changed };
}
