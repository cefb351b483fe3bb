import { describe, expect, it } from 'vitest';
import { KINDS, type Kind } from '../kube/kinds.js';
import { grpcRouteNotice, missingKindWarning } from './grpc-route-notice.js';

const missing =
  (...kinds: Kind[]) =>
  (kind: Kind): boolean =>
    kinds.includes(kind);

describe('grpcRouteNotice', () => {
  it('warns a gatewayAPI resource when the cluster serves HTTPRoute but not GRPCRoute', () => {
    const notice = grpcRouteNotice('gatewayAPI', missing(KINDS.grpcRoute));
    expect(notice).toMatchObject({ type: 'Warning', reason: 'GRPCRouteNotInstalled' });
    expect(notice?.message).toContain('no GRPCRoute API');
    expect(notice?.message).toContain('v1.1 or later');
  });

  it('says nothing when GRPCRoute is served, or under another router', () => {
    expect(grpcRouteNotice('gatewayAPI', missing())).toBeUndefined();
    expect(grpcRouteNotice('replicaRatio', missing(KINDS.grpcRoute))).toBeUndefined();
    expect(grpcRouteNotice(undefined, missing(KINDS.grpcRoute))).toBeUndefined();
  });

  it('leaves a cluster without any Gateway API to the Ready condition', () => {
    expect(
      grpcRouteNotice('gatewayAPI', missing(KINDS.httpRoute, KINDS.grpcRoute)),
    ).toBeUndefined();
  });

  it('names the missing kind at start-up', () => {
    expect(missingKindWarning(KINDS.grpcRoute)).toContain('GRPCRoute');
    expect(missingKindWarning(KINDS.httpRoute)).toContain('Gateway API CRDs are not installed');
  });
});
