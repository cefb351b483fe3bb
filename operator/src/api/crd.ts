import { z } from 'zod';
import {
  API_GROUP,
  API_VERSION,
  KIND,
  MAX_NAME_LENGTH,
  NAME_PATTERN,
  PLURAL,
  SHORT_NAMES,
  SINGULAR,
} from './model-deployment.js';
import { modelDeploymentSpec } from './model-deployment-spec.js';
import { modelDeploymentStatus } from './model-deployment-status.js';

export type JsonSchema = { [key: string]: unknown };

/** JSON Schema keywords a Kubernetes structural schema does not accept or need. */
const DROPPED_KEYS = new Set(['$schema', 'additionalProperties', 'id', '$id']);

/**
 * Turns zod's JSON Schema into a Kubernetes structural schema: no additionalProperties
 * beside properties (unknown fields are refused by the server's strict field validation
 * and by the operator's strict parsing), int-or-string instead of anyOf, maps as
 * additionalProperties, no Number.MAX_SAFE_INTEGER bounds that only add noise.
 */
export function toStructural(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toStructural);
  if (node === null || typeof node !== 'object') return node;
  const input = node as JsonSchema;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(input)) {
    if (DROPPED_KEYS.has(key)) continue;
    if (
      (key === 'maximum' || key === 'minimum') &&
      Math.abs(Number(value)) >= Number.MAX_SAFE_INTEGER
    )
      continue;
    out[key] = toStructural(value);
  }
  if (input['x-kubernetes-int-or-string'] === true) {
    delete out.anyOf;
    delete out.type;
  }
  if (input['x-kubernetes-preserve-unknown-fields'] === true) {
    out.type = 'object';
    delete out.properties;
  }
  const additional = input.additionalProperties;
  if (
    input.properties === undefined &&
    additional !== undefined &&
    typeof additional === 'object'
  ) {
    const nested = toStructural(additional) as JsonSchema;
    if (Object.keys(nested).length > 0) out.additionalProperties = nested;
    else out['x-kubernetes-preserve-unknown-fields'] = true;
  }
  return out;
}

function schemaOf(schema: z.ZodType): JsonSchema {
  const json = z.toJSONSchema(schema, {
    target: 'openapi-3.0',
    io: 'input',
    unrepresentable: 'throw',
  });
  return toStructural(json) as JsonSchema;
}

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'date' | 'number' | 'boolean';
  jsonPath: string;
  description: string;
  priority?: number;
}

export const printerColumns: PrinterColumn[] = [
  {
    name: 'Model',
    type: 'string',
    jsonPath: '.status.model',
    description: 'Served model name.',
  },
  {
    name: 'Version',
    type: 'string',
    jsonPath: '.status.stable.version',
    description: 'Version the stable track serves.',
  },
  {
    name: 'Ready',
    type: 'string',
    jsonPath: '.status.conditions[?(@.type=="Ready")].status',
    description: 'Whether the model serves requests.',
  },
  {
    name: 'Replicas',
    type: 'integer',
    jsonPath: '.status.readyReplicas',
    description: 'Ready stable pods.',
  },
  {
    name: 'Canary',
    type: 'string',
    jsonPath: '.status.canary.phase',
    description: 'Canary rollout phase.',
  },
  {
    name: 'Weight',
    type: 'integer',
    jsonPath: '.status.canary.weight',
    description: 'Canary traffic share.',
    priority: 1,
  },
  {
    name: 'Reason',
    type: 'string',
    jsonPath: '.status.conditions[?(@.type=="Ready")].reason',
    description: 'Why Ready has its status.',
    priority: 1,
  },
  {
    name: 'Age',
    type: 'date',
    jsonPath: '.metadata.creationTimestamp',
    description: 'Time since creation.',
  },
];

/** The CustomResourceDefinition, computed from the zod schema alone. */
export function buildCrd(): JsonSchema {
  const spec = schemaOf(modelDeploymentSpec);
  const status = schemaOf(modelDeploymentStatus);
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${PLURAL}.${API_GROUP}`,
      labels: {
        'app.kubernetes.io/name': 'modeldeploy',
        'app.kubernetes.io/part-of': 'modeldeploy',
      },
    },
    spec: {
      group: API_GROUP,
      names: {
        kind: KIND,
        listKind: `${KIND}List`,
        plural: PLURAL,
        singular: SINGULAR,
        shortNames: [...SHORT_NAMES],
        categories: ['all', 'modeldeploy'],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: API_VERSION,
          served: true,
          storage: true,
          subresources: {
            status: {},
            scale: {
              specReplicasPath: '.spec.replicas',
              statusReplicasPath: '.status.replicas',
              labelSelectorPath: '.status.selector',
            },
          },
          additionalPrinterColumns: printerColumns,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description:
                'ModelDeployment serves one ONNX model over REST (simple JSON, KServe V1 and Open Inference Protocol V2) with autoscaling, canary rollouts and rollback.',
              required: ['spec'],
              properties: {
                apiVersion: {
                  type: 'string',
                  description: 'APIVersion of this object: modeldeploy.io/v1alpha1.',
                },
                kind: { type: 'string', description: 'Kind of this object: ModelDeployment.' },
                metadata: { type: 'object' },
                spec: spec,
                status: status,
              },
              'x-kubernetes-validations': [
                {
                  rule: `self.metadata.name.size() <= ${MAX_NAME_LENGTH} && self.metadata.name.matches('${NAME_PATTERN}')`,
                  message: `metadata.name must be a DNS-1035 label of at most ${MAX_NAME_LENGTH} characters so "-canary" children fit`,
                },
              ],
            },
          },
        },
      ],
    },
  };
}
