// The KServe CRD fields vidserve's manifests use, as a small strict schema written from KServe's API types
// (pkg/apis/serving/v1alpha1/servingruntime_types.go; v1beta1 predictor_model.go, component.go): unknown fields
// are errors (a typo would otherwise be dropped by the API server), enums are KServe's. Embedded Kubernetes types
// (Container, Volume) are validated with kubernetes-models.
import { Container } from 'kubernetes-models/v1/Container';
import { Volume } from 'kubernetes-models/v1/Volume';

export type Schema =
  | { type: 'string'; enum?: readonly string[] }
  | { type: 'integer'; minimum?: number }
  | { type: 'boolean' }
  | { type: 'array'; items: Schema; minItems?: number }
  /** Strict object: only `properties`; `values` makes it a map of that schema instead. */
  | { type: 'object'; properties?: Record<string, Schema>; required?: readonly string[]; values?: Schema }
  /** A Kubernetes type checked by kubernetes-models; `fill` adds fields KServe makes optional. */
  | { type: 'k8s'; model: new (data: any) => { validate(): void }; fill?: Record<string, unknown> };

const str: Schema = { type: 'string' };
const int: Schema = { type: 'integer' };
const stringMap: Schema = { type: 'object', values: str };
/** constants.InferenceServiceProtocol */
const PROTOCOLS = ['v1', 'v2', 'grpc-v1', 'grpc-v2'] as const;

const supportedModelFormat: Schema = {
  type: 'object',
  required: ['name'],
  properties: { name: str, version: str, autoSelect: { type: 'boolean' }, priority: { type: 'integer', minimum: 1 } },
};

const servingRuntimeSpec: Schema = {
  type: 'object',
  required: ['containers'],
  properties: {
    supportedModelFormats: { type: 'array', items: supportedModelFormat },
    multiModel: { type: 'boolean' },
    disabled: { type: 'boolean' },
    protocolVersions: { type: 'array', items: { type: 'string', enum: PROTOCOLS } },
    containers: { type: 'array', minItems: 1, items: { type: 'k8s', model: Container } },
    volumes: { type: 'array', items: { type: 'k8s', model: Volume } },
    nodeSelector: stringMap,
    labels: stringMap,
    annotations: stringMap,
    replicas: int,
  },
};

/** ModelSpec: KServe's fields, the rest is an inline corev1.Container (its name optional here). */
const modelSpec: Schema = {
  type: 'object',
  required: ['modelFormat'],
  properties: {
    modelFormat: { type: 'object', required: ['name'], properties: { name: str, version: str } },
    runtime: str,
    storageUri: str,
    runtimeVersion: str,
    protocolVersion: { type: 'string', enum: PROTOCOLS },
  },
};
const MODEL_CONTAINER: Schema = { type: 'k8s', model: Container, fill: { name: 'kserve-container' } };

const predictorSpec: Schema = {
  type: 'object',
  properties: {
    model: modelSpec,
    // ComponentExtensionSpec
    minReplicas: { type: 'integer', minimum: 0 },
    maxReplicas: { type: 'integer', minimum: 0 },
    scaleTarget: int,
    scaleMetric: { type: 'string', enum: ['cpu', 'memory', 'concurrency', 'rps'] },
    containerConcurrency: int,
    timeout: int,
    canaryTrafficPercent: int,
    labels: stringMap,
    annotations: stringMap,
    // inline PodSpec fields we use
    terminationGracePeriodSeconds: int,
    serviceAccountName: str,
    nodeSelector: stringMap,
  },
};

const metadata: Schema = { type: 'object', required: ['name'], properties: { name: str, namespace: str, labels: stringMap, annotations: stringMap } };

export const KSERVE_SCHEMAS: Record<string, Schema> = {
  'serving.kserve.io/v1alpha1 ServingRuntime': {
    type: 'object',
    required: ['apiVersion', 'kind', 'metadata', 'spec'],
    properties: { apiVersion: str, kind: str, metadata, spec: servingRuntimeSpec },
  },
  'serving.kserve.io/v1beta1 InferenceService': {
    type: 'object',
    required: ['apiVersion', 'kind', 'metadata', 'spec'],
    properties: { apiVersion: str, kind: str, metadata, spec: { type: 'object', required: ['predictor'], properties: { predictor: predictorSpec } } },
  },
};

/** Errors of `value` against `schema`, each naming its path (empty: valid). */
export function checkSchema(value: unknown, schema: Schema, path = ''): string[] {
  const at = path || '(root)';
  switch (schema.type) {
    case 'string':
      if (typeof value !== 'string') return [`${at} must be a string`];
      if (schema.enum && !schema.enum.includes(value)) return [`${at} must be one of ${schema.enum.join(', ')}, got ${JSON.stringify(value)}`];
      return [];
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) return [`${at} must be an integer`];
      if (schema.minimum !== undefined && value < schema.minimum) return [`${at} must be >= ${schema.minimum}`];
      return [];
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${at} must be a boolean`];
    case 'array':
      if (!Array.isArray(value)) return [`${at} must be a list`];
      if (schema.minItems !== undefined && value.length < schema.minItems) return [`${at} needs at least ${schema.minItems} items`];
      return value.flatMap((v, i) => checkSchema(v, schema.items, `${path}[${i}]`));
    case 'k8s':
      try {
        new schema.model({ ...schema.fill, ...(value as object) }).validate();
        return [];
      } catch (e) {
        return [`${at}: ${(e as Error).message}`];
      }
    case 'object': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return [`${at} must be an object`];
      const o = value as Record<string, unknown>;
      if (schema.values) return Object.entries(o).flatMap(([k, v]) => checkSchema(v, schema.values!, `${path}.${k}`));
      const errors = (schema.required ?? []).filter((k) => o[k] === undefined).map((k) => `${path}.${k} is required`);
      // ModelSpec inlines a Container: the keys KServe does not define are checked as one.
      const rest: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(o)) {
        const s = schema.properties?.[k];
        if (s) errors.push(...checkSchema(v, s, `${path}.${k}`));
        else if (schema === modelSpec) rest[k] = v;
        else errors.push(`${path}.${k} is not a field KServe defines here`);
      }
      if (schema === modelSpec) errors.push(...checkSchema(rest, MODEL_CONTAINER, path));
      return errors;
    }
  }
}
