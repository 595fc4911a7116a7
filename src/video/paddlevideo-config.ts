// A PaddleVideo config YAML (configs/recognition/**.yaml, the one a model was trained and exported with) read for
// what inference needs: model_name and the INFERENCE section, whose `name` picks the helper of tools/utils.py and
// whose other keys are that helper's constructor arguments — as tools/predict.py's build_inference_helper() does.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { helperPipeline, INFERENCE_HELPERS, type HelperArgs, type PipelineSpec } from './pipelines.ts';

export interface PaddleVideoConfig {
  file: string;
  /** model_name: the export's file stem and what tools/predict.py prints ("Inference model(ppTSMv2)..."). */
  modelName: string;
  /** INFERENCE.name, e.g. ppTSM_Inference_helper. */
  helper: string;
  /** The helper's arguments after its defaults (num_seg, seg_len, short_size, target_size, top_k). */
  args: HelperArgs;
  pipeline: PipelineSpec;
}

const ARG_KEYS = ['num_seg', 'seg_len', 'short_size', 'target_size', 'top_k'] as const;

export class PaddleVideoConfigError extends Error {
  override name = 'PaddleVideoConfigError';
}

export function loadPaddleVideoConfig(file: string): PaddleVideoConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new PaddleVideoConfigError(`cannot read PaddleVideo config ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new PaddleVideoConfigError(`${file}: not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  return parsePaddleVideoConfig(doc, file);
}

export function parsePaddleVideoConfig(doc: unknown, file: string): PaddleVideoConfig {
  const fail = (msg: string): never => {
    throw new PaddleVideoConfigError(`${file}: ${msg}`);
  };
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) fail('not a PaddleVideo config (expected a mapping with an INFERENCE section)');
  const top = doc as Record<string, unknown>;
  const inf = top.INFERENCE;
  if (!inf || typeof inf !== 'object' || Array.isArray(inf)) {
    fail(`has no INFERENCE section; PaddleVideo's tools/predict.py needs one (e.g. INFERENCE: {name: ppTSM_Inference_helper, num_seg: 8, target_size: 224})`);
  }
  const section = inf as Record<string, unknown>;
  const helper = section.name;
  if (typeof helper !== 'string' || !helper) fail('INFERENCE.name must name an inference helper, e.g. ppTSM_Inference_helper');
  const args: Partial<HelperArgs> = {};
  for (const [k, v] of Object.entries(section)) {
    if (k === 'name') continue;
    if (!(ARG_KEYS as readonly string[]).includes(k)) {
      // The Python helper would fail with "unexpected keyword argument" too.
      if (INFERENCE_HELPERS[helper as string]) fail(`INFERENCE.${k}: ${helper} takes no argument '${k}' (it takes ${ARG_KEYS.join(', ')})`);
      continue;
    }
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) fail(`INFERENCE.${k} must be a positive integer, got ${JSON.stringify(v)}`);
    args[k as keyof HelperArgs] = v as number;
  }
  const modelName = typeof top.model_name === 'string' && top.model_name ? top.model_name : helper as string;
  let pipeline: PipelineSpec;
  try {
    pipeline = helperPipeline(modelName, helper as string, args);
  } catch (e) {
    return fail((e as Error).message);
  }
  const full = { ...INFERENCE_HELPERS[helper as string]!.defaults, ...args };
  return { file, modelName, helper: helper as string, args: full, pipeline };
}
