import { describe, expect, it } from 'vitest';
import {
  mirrorHeaders,
  mirrorPath,
  SHADOW_MARKER_HEADER,
  SHADOW_TOKEN_HEADER,
} from './mirror-request.js';
import { EvenSampler } from './sampler.js';
import { requestHead } from './shadow-client.js';

describe('mirrorHeaders', () => {
  it('drops credentials and framing, keeps the rest, adds the marker', () => {
    const headers = mirrorHeaders(
      {
        Authorization: 'Bearer user-token',
        'x-api-key': 'user-key',
        cookie: 'session=1',
        'proxy-authorization': 'Basic x',
        'content-length': '10',
        'content-encoding': 'gzip',
        'content-type': 'application/json',
        'x-request-id': 'r-1',
        'inference-header-content-length': '42',
        'x-forwarded-for': ['10.0.0.1', '10.0.0.2'],
      },
      undefined,
    );
    expect(headers).toEqual({
      'content-type': 'application/json',
      'x-request-id': 'r-1',
      'inference-header-content-length': '42',
      'x-forwarded-for': '10.0.0.1, 10.0.0.2',
      'accept-encoding': 'identity',
      [SHADOW_MARKER_HEADER]: '1',
    });
  });

  it("sends the deployment's shadow token, never one the user sent", () => {
    const user = { [SHADOW_TOKEN_HEADER]: 'guessed', authorization: 'Bearer user-jwt' };
    expect(mirrorHeaders(user, undefined)[SHADOW_TOKEN_HEADER]).toBeUndefined();
    const copy = mirrorHeaders(user, undefined, 'deployment-shadow-token');
    expect(copy[SHADOW_TOKEN_HEADER]).toBe('deployment-shadow-token');
    expect(copy.authorization).toBeUndefined();
  });

  it("authenticates with the deployment's own key, not the user's", () => {
    expect(mirrorHeaders({ 'x-api-key': 'user-key' }, 'deployment-key')['x-api-key']).toBe(
      'deployment-key',
    );
  });
});

describe('mirrorPath', () => {
  it('drops the V2 version segment and keeps every other path', () => {
    expect(mirrorPath('/v2/models/m/versions/3/infer')).toBe('/v2/models/m/infer');
    expect(mirrorPath('/v2/models/m/infer?x=1')).toBe('/v2/models/m/infer?x=1');
    expect(mirrorPath('/v1/models/m:predict')).toBe('/v1/models/m:predict');
    expect(mirrorPath('/predict')).toBe('/predict');
  });
});

describe('EvenSampler', () => {
  const picks = (percent: number, n: number): number => {
    const sampler = new EvenSampler(percent);
    let count = 0;
    for (let i = 0; i < n; i++) if (sampler.pick()) count++;
    return count;
  };

  it('picks exactly the percent over a whole cycle', () => {
    expect(picks(10, 1000)).toBe(100);
    expect(picks(12.5, 800)).toBe(100);
    expect(picks(100, 7)).toBe(7);
    expect(picks(0, 1000)).toBe(0);
  });

  it('spreads the picks evenly', () => {
    const sampler = new EvenSampler(25);
    expect(Array.from({ length: 8 }, () => sampler.pick())).toEqual([
      false,
      false,
      false,
      true,
      false,
      false,
      false,
      true,
    ]);
  });
});

describe('requestHead', () => {
  it('writes the request line, host, headers and the body length', () => {
    expect(
      requestHead(
        '/v2/models/m/infer',
        'scorer-shadow.ml.svc:8080',
        { 'content-type': 'application/json' },
        42,
      ),
    ).toBe(
      'POST /v2/models/m/infer HTTP/1.1\r\nhost: scorer-shadow.ml.svc:8080\r\n' +
        'content-type: application/json\r\ncontent-length: 42\r\n\r\n',
    );
  });

  it('never lets a header start another line or override the framing', () => {
    const head = requestHead(
      '/predict',
      'shadow:8080',
      {
        'x-ok': '1',
        'x-evil': 'a\r\nPOST /admin HTTP/1.1',
        'x-bad\nname': '1',
        'content-length': '999',
        host: 'elsewhere',
      },
      3,
    );
    expect(head).toBe(
      'POST /predict HTTP/1.1\r\nhost: shadow:8080\r\nx-ok: 1\r\ncontent-length: 3\r\n\r\n',
    );
  });
});
