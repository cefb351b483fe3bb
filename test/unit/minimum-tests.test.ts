import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import config from '../../vitest.config.js';

interface ProjectEntry {
  readonly test?: { readonly name?: string };
}

describe('test/minimum-tests.json', () => {
  it('records a minimum for exactly the projects vitest.config.ts defines', () => {
    const file = JSON.parse(readFileSync('test/minimum-tests.json', 'utf8')) as {
      minimums: Record<string, number>;
    };
    const projects = ((config.test?.projects ?? []) as ProjectEntry[]).map((p) => p.test?.name);
    expect(Object.keys(file.minimums).sort()).toEqual([...projects].sort());
    for (const minimum of Object.values(file.minimums)) expect(minimum).toBeGreaterThan(0);
  });
});
