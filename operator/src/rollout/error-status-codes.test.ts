import { describe, expect, it } from 'vitest';
import { analysisSpec } from '../api/model-deployment-spec.js';
import { errorCodeMatchers, statusCodeRegex } from './error-status-codes.js';

describe('error status codes', () => {
  it('default: 5xx and the runtime’s validation 400 are errors; 429 and 503 are ignored', () => {
    const defaults = analysisSpec.parse({});
    expect(defaults.errorStatusCodes).toEqual(['5xx', '400']);
    expect(defaults.ignoredStatusCodes).toEqual(['429', '503']);
    expect(errorCodeMatchers(defaults.errorStatusCodes, defaults.ignoredStatusCodes)).toEqual([
      'code=~"5..|400"',
      'code!~"429|503"',
    ]);
  });

  it('turns classes into regexes and drops repeats', () => {
    expect(statusCodeRegex(['4xx', '500', '4xx'])).toBe('4..|500');
  });

  it.each(['5XX', '600', '40', 'x00', '4x0', '5..', ''])('refuses "%s" in the schema', (code) => {
    expect(analysisSpec.safeParse({ errorStatusCodes: [code] }).success).toBe(false);
    expect(() => statusCodeRegex([code])).toThrow(/use a code such as "400"/);
  });

  it('needs at least one error code', () => {
    expect(analysisSpec.safeParse({ errorStatusCodes: [] }).success).toBe(false);
    expect(analysisSpec.safeParse({ ignoredStatusCodes: [] }).success).toBe(true);
  });
});
