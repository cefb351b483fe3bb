/**
 * The status-phase fixtures are only worth their verdicts if they are objects the operator
 * could write: each must parse with the operator's own ModelDeployment schema.
 */
import { describe, expect, it } from 'vitest';
import { parseModelDeployment } from '../../operator/src/api/model-deployment.js';
import { loadStatusPhases } from '../fixtures/status-phases.js';

const phases = loadStatusPhases();

describe('status-phase fixtures', () => {
  it('cover the phases a platform team meets', () => {
    expect(phases.map((p) => p.phase)).toEqual(
      expect.arrayContaining([
        'created',
        'rolling-out',
        'canary-progressing',
        'paused',
        'model-load-failure',
        'missing-secret',
        'scaled-to-zero',
        'aborted-canary',
        'settled',
      ]),
    );
  });

  it.each(phases)('$phase parses with the operator schema', ({ object }) => {
    const parsed = parseModelDeployment(object);
    expect(parsed.ok ? [] : parsed.errors).toEqual([]);
  });
});
