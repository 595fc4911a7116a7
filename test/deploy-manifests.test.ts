// deploy/k8s and deploy/kserve: every manifest validates (Kubernetes schemas from kubernetes-models, KServe's CRD
// fields from test/support/kserve-crd.ts), and the pieces agree with each other and with the server: probe routes,
// ports, the config the pods mount (parsed by the server's own config parser), the drain and the grace period.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, parse } from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Service } from 'kubernetes-models/v1/Service';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { parseServingConfig } from '../src/serving/config.ts';
import { choosePipeline } from '../src/serving/pipeline-choice.ts';
import { PIPELINES } from '../src/video/pipelines.ts';
import { KSERVE_SCHEMAS, checkSchema } from './support/kserve-crd.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
type Doc = { apiVersion: string; kind: string; metadata: { name: string }; [k: string]: any };

const K8S_MODELS: Record<string, new (data: any) => { validate(): void }> = {
  'apps/v1 Deployment': Deployment,
  'v1 Service': Service,
  'v1 ConfigMap': ConfigMap,
  'v1 PersistentVolumeClaim': PersistentVolumeClaim,
  'autoscaling/v2 HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1 PodDisruptionBudget': PodDisruptionBudget,
};

function load(dir: string): Array<{ file: string; doc: Doc }> {
  const full = path.join(ROOT, 'deploy', dir);
  return readdirSync(full)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) =>
      parseAllDocuments(readFileSync(path.join(full, f), 'utf8')).map((d) => {
        assert.deepEqual(d.errors, [], `${dir}/${f}`);
        return { file: `${dir}/${f}`, doc: d.toJS() as Doc };
      }),
    );
}

/** The errors of one manifest (kubernetes-models for Kubernetes kinds, the KServe schema for KServe's). */
function validate(doc: Doc): string[] {
  const key = `${doc.apiVersion} ${doc.kind}`;
  const k8s = K8S_MODELS[key];
  if (k8s) {
    try {
      new k8s(doc).validate();
      return [];
    } catch (e) {
      return [(e as Error).message];
    }
  }
  const schema = KSERVE_SCHEMAS[key];
  if (schema) return checkSchema(doc, schema);
  return [`no schema for ${key}: add it to the test`];
}

const k8s = load('k8s');
const kserve = load('kserve');
const find = (docs: typeof k8s, kind: string, name?: string) => {
  const d = docs.find((x) => x.doc.kind === kind && (name === undefined || x.doc.metadata.name === name));
  assert.ok(d, `${kind} ${name ?? ''} in the manifests`);
  return d.doc;
};
const configOf = (cm: Doc, where: string) => parseServingConfig(parse(cm.data['vidserve.yaml']), where);

test('every manifest in deploy/k8s and deploy/kserve validates against its schema', () => {
  assert.deepEqual(k8s.map((d) => d.doc.kind).sort(), ['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'HorizontalPodAutoscaler', 'PersistentVolumeClaim', 'PodDisruptionBudget', 'Service']);
  assert.deepEqual(kserve.map((d) => d.doc.kind).sort(), ['ConfigMap', 'InferenceService', 'ServingRuntime']);
  for (const { file, doc } of [...k8s, ...kserve]) assert.deepEqual(validate(doc), [], `${file}: ${doc.kind} ${doc.metadata?.name}`);
});

test('the validators reject what a cluster would: wrong types, bad enums, fields KServe does not define', () => {
  const dep = structuredClone(find(k8s, 'Deployment'));
  dep.spec.template.spec.containers[0].resources.requests.cpu = 'two cores';
  assert.match(validate(dep).join(), /cpu/);
  const hpa = structuredClone(find(k8s, 'HorizontalPodAutoscaler', 'vidserve'));
  hpa.spec.metrics[0].resource.target.averageUtilization = '70%';
  assert.match(validate(hpa).join(), /averageUtilization must be integer/);
  const sr = structuredClone(find(kserve, 'ServingRuntime'));
  sr.spec.protocolVersions.push('paddle');
  sr.spec.supportedModelFormat = sr.spec.supportedModelFormats;
  sr.spec.containers[0].imagePullPolicy = 'Sometimes';
  const errors = validate(sr).join('\n');
  assert.match(errors, /protocolVersions\[2\] must be one of v1, v2, grpc-v1, grpc-v2/);
  assert.match(errors, /spec\.supportedModelFormat is not a field KServe defines/);
  assert.match(errors, /containers\[0\].*imagePullPolicy/);
  const isvc = structuredClone(find(kserve, 'InferenceService'));
  isvc.spec.predictor.scaleMetric = 'queue';
  delete isvc.spec.predictor.model.modelFormat;
  const e2 = validate(isvc).join('\n');
  assert.match(e2, /scaleMetric must be one of/);
  assert.match(e2, /model\.modelFormat is required/);
});

test('the Deployment probes the v2 health routes, drains within its grace period, and mounts a config the server accepts', () => {
  const dep = find(k8s, 'Deployment');
  const pod = dep.spec.template.spec;
  const c = pod.containers[0];
  const portNames = new Map(c.ports.map((p: { name: string; containerPort: number }) => [p.name, p.containerPort]));
  for (const probe of ['startupProbe', 'readinessProbe']) assert.equal(c[probe].httpGet.path, '/v2/health/ready', probe);
  assert.equal(c.livenessProbe.httpGet.path, '/v2/health/live');
  for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) assert.ok(portNames.has(c[probe].httpGet.port), `${probe} port`);
  // startup: model load + warm-up get minutes before liveness applies
  assert.ok(c.startupProbe.periodSeconds * c.startupProbe.failureThreshold >= 120);

  const env = Object.fromEntries(c.env.map((e: { name: string; value: string }) => [e.name, e.value]));
  const mount = c.volumeMounts.find((m: { mountPath: string }) => env.VIDSERVE_CONFIG.startsWith(m.mountPath + '/'));
  assert.ok(mount, 'VIDSERVE_CONFIG is on a mounted volume');
  const volume = pod.volumes.find((v: { name: string }) => v.name === mount.name);
  const config = configOf(find(k8s, 'ConfigMap', volume.configMap.name), 'deploy/k8s/configmap.yaml');
  assert.equal(config.httpPort, portNames.get('http'));
  assert.equal(config.rpcPort, portNames.get('grpc'));
  const op = config.ops[0]!;
  assert.equal(op.localServiceConf.threadNum, Number(c.resources.requests.cpu), 'onnxruntime threads = the CPU request');
  // grace period >= preStop sleep + the longest admitted request (the op's timeout) + a margin for exit
  assert.ok(op.timeoutMs > 0, 'a bounded op timeout bounds the drain');
  const preStop = Number(c.lifecycle.preStop.exec.command[1]);
  assert.ok(pod.terminationGracePeriodSeconds >= preStop + op.timeoutMs / 1000 + 5, `${pod.terminationGracePeriodSeconds} s grace`);
  assert.equal(pod.securityContext.runAsNonRoot, true);
  assert.match(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'), new RegExp(`^USER ${pod.securityContext.runAsUser}:`, 'm'));
  // the memory request covers the bench's peak RSS (974 MB at concurrency 1, README)
  assert.equal(op.concurrency, 1);
  assert.match(c.resources.requests.memory, /^(\d+)Mi$/);
  assert.ok(parseInt(c.resources.requests.memory, 10) * 1.048576 >= 974);
});

test('Service, autoscalers and the disruption budget select the Deployment', () => {
  const dep = find(k8s, 'Deployment');
  const labels = dep.spec.template.metadata.labels;
  const matches = (selector: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);
  const svc = find(k8s, 'Service');
  assert.ok(matches(svc.spec.selector));
  const names = dep.spec.template.spec.containers[0].ports.map((p: { name: string }) => p.name);
  for (const p of svc.spec.ports) assert.ok(names.includes(p.targetPort), p.targetPort);
  assert.ok(matches(find(k8s, 'PodDisruptionBudget').spec.selector.matchLabels));
  const hpas = k8s.filter((d) => d.doc.kind === 'HorizontalPodAutoscaler').map((d) => d.doc);
  for (const h of hpas) assert.deepEqual(h.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: dep.metadata.name });
  assert.equal(hpas.find((h) => h.metadata.name === 'vidserve')!.spec.metrics[0].resource.name, 'cpu');
  // the queue-depth example scales on a metric the server exports
  const q = hpas.find((h) => h.metadata.name === 'vidserve-queue-depth')!;
  const metric = q.spec.metrics[0].pods.metric.name;
  assert.match(readFileSync(path.join(ROOT, 'src/serving/metrics.ts'), 'utf8'), new RegExp(`name: '${metric}'`));
});

test('the InferenceService uses the ServingRuntime: format, protocol, config and model name', () => {
  const sr = find(kserve, 'ServingRuntime');
  const isvc = find(kserve, 'InferenceService');
  const model = isvc.spec.predictor.model;
  assert.equal(model.runtime, sr.metadata.name);
  assert.ok(sr.spec.supportedModelFormats.some((f: { name: string }) => f.name === model.modelFormat.name));
  assert.deepEqual(sr.spec.supportedModelFormats.map((f: { name: string }) => f.name), ['paddle', 'onnx']);
  assert.ok(sr.spec.protocolVersions.includes(model.protocolVersion));
  assert.match(model.storageUri, /^[a-z0-9]+:\/\//);
  const c = sr.spec.containers[0];
  assert.equal(c.name, 'kserve-container');
  assert.equal(c.workingDir, '/mnt/models', "KServe's storage initializer puts the model there");
  assert.ok(c.args.includes('--model_name={{.Name}}'));
  assert.equal(c.readinessProbe.httpGet.path, '/v2/health/ready');
  const env = Object.fromEntries(c.env.map((e: { name: string; value: string }) => [e.name, e.value]));
  const mount = c.volumeMounts.find((m: { mountPath: string }) => env.VIDSERVE_CONFIG.startsWith(m.mountPath + '/'));
  const volume = sr.spec.volumes.find((v: { name: string }) => v.name === mount.name);
  const config = configOf(find(kserve, 'ConfigMap', volume.configMap.name), 'deploy/kserve/servingruntime.yaml');
  assert.equal(config.httpPort, c.ports[0].containerPort);
  assert.equal(config.ops[0]!.localServiceConf.threadNum, Number(c.resources.requests.cpu));
});

test("the image's default config parses and its HEALTHCHECK asks /v2/health/ready", () => {
  const config = parseServingConfig(parse(readFileSync(path.join(ROOT, 'deploy/container/vidserve.yaml'), 'utf8')), 'deploy/container/vidserve.yaml');
  assert.equal(config.httpPort, 8080);
  assert.equal(config.rpcPort, 8081);
  const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  assert.match(dockerfile, /^HEALTHCHECK [^\n]*\\\n[^\n]*\/v2\/health\/ready/m);
  assert.match(dockerfile, /^COPY deploy\/container\/vidserve\.yaml \/etc\/vidserve\/vidserve\.yaml$/m);
  assert.match(dockerfile, /VIDSERVE_CONFIG=\/etc\/vidserve\/vidserve\.yaml/);
});

/** The runtime stage's ENV of the Dockerfile, as the container's process sees it. */
function imageEnv(): Record<string, string> {
  const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const runtime = dockerfile.slice(dockerfile.search(/^FROM .* AS runtime$/m));
  const env: Record<string, string> = {};
  for (const line of runtime.split('\n').filter((l) => l.startsWith('ENV '))) {
    for (const pair of line.slice(4).trim().split(/\s+/)) {
      const eq = pair.indexOf('=');
      env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  }
  return env;
}

test("the image's environment leaves the preprocessing to the mounted config: its paddlevideo_config, else PPTSM", () => {
  const env = imageEnv();
  assert.equal(env.VIDSERVE_CONFIG, '/etc/vidserve/vidserve.yaml');
  // A config for a PP-TSMv2 serving dir, as a user mounts it in place of the default one.
  const dir = mkdtempSync(path.join(tmpdir(), 'vidserve-image-env-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'pptsmv2.yaml'), "INFERENCE:\n    name: 'ppTSM_Inference_helper'\n    num_seg: 16\n    target_size: 224\nmodel_name: \"ppTSMv2\"\n");
  const doc = parse(readFileSync(path.join(ROOT, 'deploy/container/vidserve.yaml'), 'utf8'));
  doc.op.video.paddlevideo_config = 'pptsmv2.yaml';
  const op = parseServingConfig(doc, path.join(dir, 'vidserve.yaml')).ops[0]!;
  // `serve -n` reads VIDSERVE_PIPELINE: set in the image, it would override every mounted config's choice.
  const chosen = choosePipeline(env.VIDSERVE_PIPELINE, op);
  assert.deepEqual(chosen.spec.ops, PIPELINES.PPTSMv2!.ops, chosen.source);
  const plain = parseServingConfig(parse(readFileSync(path.join(ROOT, 'deploy/container/vidserve.yaml'), 'utf8')), 'vidserve.yaml').ops[0]!;
  assert.equal(choosePipeline(env.VIDSERVE_PIPELINE, plain).spec.name, 'PPTSM');
});
