import { describe, expect, it } from 'vitest';
import { apiFailure } from './api-failure.js';

const subject = {
  verb: 'patch',
  resource: 'modeldeployments.modeldeploy.io',
  name: 'iris',
  namespace: 'ml',
  context: 'dev',
};

describe('apiFailure', () => {
  it('says what is missing and how to list what exists', () => {
    expect(
      apiFailure(404, '{"kind":"Status","reason":"NotFound","message":"x"}', subject).message,
    ).toBe(
      'modeldeployments.modeldeploy.io "iris" not found in namespace "ml" (context dev); list them with: kubectl get modeldeployments.modeldeploy.io -n ml',
    );
  });

  it("names the verb and resource RBAC refused, with the API server's words", () => {
    const msg = apiFailure(
      403,
      '{"kind":"Status","reason":"Forbidden","message":"user x cannot patch"}',
      subject,
    ).message;
    expect(msg).toMatch(
      /^forbidden: your identity may not patch modeldeployments.modeldeploy.io in namespace "ml"/,
    );
    expect(msg).toMatch(/The API server said: user x cannot patch$/);
  });

  it("keeps other answers with their status and raw text, a 403 that is not RBAC's included", () => {
    expect(apiFailure(500, 'boom', subject).message).toMatch(/answered HTTP 500: boom$/);
    expect(apiFailure(403, 'resolve_deny: denied destination', subject).message).toBe(
      'patch modeldeployments.modeldeploy.io "iris" in "ml" answered HTTP 403: resolve_deny: denied destination',
    );
    expect(apiFailure(404, '404 page not found', subject).message).toMatch(
      /answered HTTP 404: 404 page not found$/,
    );
  });
});
