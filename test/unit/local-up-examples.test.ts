import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { pointAnalysisAt, readExampleObjects } from '../../scripts/local-up/example-objects.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

type Obj = Record<string, unknown>;
const analysisUrl = (o: Obj): unknown =>
  (((o['spec'] as Obj)['canary'] as Obj)['analysis'] as Obj)['prometheusUrl'];

describe('npm start points the examples at the Prometheus it started', () => {
  const full = readExampleObjects(readFileSync(`${REPO}examples/full.yaml`, 'utf8'));

  it('reads every object of examples/full.yaml (the Secret and the ModelDeployment)', () => {
    expect(full.map((o) => o['kind'])).toEqual(['Secret', 'ModelDeployment']);
  });

  it("sets full.yaml's canary analysis URL and says which ModelDeployment changed", () => {
    const { objects, changed } = pointAnalysisAt(full, 'http://127.0.0.1:41234');
    expect(changed).toEqual(['scorer']);
    const md = objects.find((o) => o['kind'] === 'ModelDeployment');
    expect(md && analysisUrl(md)).toBe('http://127.0.0.1:41234');
    // The example itself is not edited: the file keeps its portable URL.
    const original = full.find((o) => o['kind'] === 'ModelDeployment');
    expect(original && analysisUrl(original)).toBe('http://127.0.0.1:9090');
  });

  it('leaves objects without canary analysis as they are', () => {
    const minimal = readExampleObjects(readFileSync(`${REPO}examples/minimal.yaml`, 'utf8'));
    const { objects, changed } = pointAnalysisAt(minimal, 'http://127.0.0.1:1');
    expect(changed).toEqual([]);
    expect(objects).toEqual(minimal);
  });

  it('refuses a file that is not valid YAML, naming the problem', () => {
    expect(() => readExampleObjects('a: [1, 2\nb: c')).toThrow(/invalid YAML/);
  });
});
