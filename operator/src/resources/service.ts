import type { V1Service } from '@kubernetes/client-node';
import type { ModelDeployment } from '../api/model-deployment.js';
import { serviceSpec } from '../api/model-deployment-spec.js';
import { commonLabels, LABEL_TRACK, selectorLabels } from './labels.js';
import { serviceName } from './names.js';
import { childMetadata } from './owner.js';
import {
  RUNTIME_GRPC_PORT,
  RUNTIME_GRPC_PORT_NAME,
  RUNTIME_PORT_NAME,
} from './runtime-contract.js';
import type { Track } from './tracks.js';

type Source = Pick<ModelDeployment, 'metadata' | 'spec'>;

/** spec.service is optional as a whole; its defaults (ClusterIP, port 80) still apply. */
const SERVICE_DEFAULTS = serviceSpec.parse({});

/** The port every Service of a ModelDeployment listens on; HTTPRoute backends use it too. */
export function servicePort(md: Source): number {
  return (md.spec.service ?? SERVICE_DEFAULTS).port;
}

/**
 * Which pods a Service selects. With replicaRatio the main Service spans both tracks, so the
 * canary's share of traffic follows its share of ready pods. With gatewayAPI the HTTPRoute
 * splits traffic, and clients that bypass it through the main Service get the stable model.
 */
function selectorFor(md: Source, kind: 'main' | Track): Record<string, string> {
  if (kind !== 'main') return selectorLabels(md, kind);
  return md.spec.traffic?.router === 'gatewayAPI'
    ? selectorLabels(md, 'stable')
    : selectorLabels(md);
}

/**
 * The main Service (what clients call) or a per-track Service (HTTPRoute backends, analysis).
 * Type and annotations from spec.service apply to the main Service only: a LoadBalancer per
 * track would expose tracks that users never asked to expose.
 */
export function buildService(md: Source, kind: 'main' | Track): V1Service {
  const settings = md.spec.service ?? SERVICE_DEFAULTS;
  const isMain = kind === 'main';
  const labels = isMain ? commonLabels(md) : { ...commonLabels(md), [LABEL_TRACK]: kind };
  const metadata = childMetadata(md, serviceName(md, kind), labels);
  if (isMain && settings.annotations) metadata.annotations = settings.annotations;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata,
    spec: {
      ...(isMain && { type: settings.type }),
      selector: selectorFor(md, kind),
      // protocol is the API default, spelled out because it is part of the list's merge key.
      ports: [
        {
          name: RUNTIME_PORT_NAME,
          port: settings.port,
          targetPort: RUNTIME_PORT_NAME,
          protocol: 'TCP',
        },
        {
          name: RUNTIME_GRPC_PORT_NAME,
          port: RUNTIME_GRPC_PORT,
          targetPort: RUNTIME_GRPC_PORT_NAME,
          protocol: 'TCP',
          appProtocol: 'grpc',
        },
      ],
    },
  };
}
