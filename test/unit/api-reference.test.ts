import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderApiReference } from '../../operator/src/api/api-reference.js';

const referencePath = fileURLToPath(new URL('../../docs/api-reference.md', import.meta.url));

describe('API reference (docs/api-reference.md)', () => {
  const rendered = renderApiReference();

  it('matches the checked-in file (run `npm run generate` after changing the schema)', () => {
    expect(readFileSync(referencePath, 'utf8')).toBe(rendered);
  });

  it('lists fields with their type, default and description', () => {
    expect(rendered).toContain(
      '| `spec.replicas` | integer | `1` | Runtime pods when autoscaling is not set.',
    );
    expect(rendered).toMatch(
      /\| `spec\.canary\.steps\[\]\.weight` \| integer \| {2}\| .*Required\./,
    );
    expect(rendered).toMatch(/\| `spec\.autoscaling\.metric` \| string \| `"latencyP95"` \|/);
  });

  it('shows the CEL rules with their messages, pipes escaped so the table holds', () => {
    expect(rendered).toContain(
      '| `spec.autoscaling` | `self.minReplicas <= self.maxReplicas` | minReplicas must be less than or equal to maxReplicas |',
    );
    expect(rendered).toContain("`self.router != 'gatewayAPI' \\|\\| has(self.gatewayRef)`");
    for (const line of rendered.split('\n').filter((l) => l.startsWith('| `'))) {
      // Every table row keeps its column count: unescaped pipes would add columns.
      const columns = line.split(/(?<!\\)\|/).length - 2;
      expect(columns, line).toBeGreaterThanOrEqual(3);
      expect(columns, line).toBeLessThanOrEqual(4);
    }
  });

  it('escapes angle brackets in prose so Markdown does not swallow them as HTML', () => {
    expect(rendered).toContain('pvc://&lt;claim&gt;/&lt;path&gt;');
  });
});
