// Which preprocessing the server runs, and whether the model can take its output:
//  -n NAME (a built-in pipeline) > op.<name>.paddlevideo_config (a PaddleVideo config's INFERENCE section) > PPTSM.
import { loadPaddleVideoConfig } from '../video/paddlevideo-config.ts';
import { pipelineOutputDims } from '../video/pipelines.ts';
import type { OpConf } from './config.ts';
import { resolvePipeline, type PipelineRef, type PipelineSpec } from './preprocess.ts';

export interface PipelineChoice {
  spec: PipelineSpec;
  /** What the startup log says, e.g. "PPTSMv2" or "ppTSM_Inference_helper from configs/x.yaml". */
  source: string;
  /** Set when -n overrode the config's paddlevideo_config. */
  note?: string;
}

export function choosePipeline(ref: PipelineRef | undefined, op: OpConf): PipelineChoice {
  const cfg = op.paddlevideoConfig;
  if (ref !== undefined) {
    const spec = resolvePipeline(ref);
    const note = cfg ? `-n ${spec.name} given: op.${op.name}.paddlevideo_config ${cfg} is not used` : undefined;
    return { spec, source: spec.name, note };
  }
  if (cfg) {
    const c = loadPaddleVideoConfig(cfg);
    return { spec: c.pipeline, source: `${c.helper} (${Object.entries(c.args).map(([k, v]) => `${k} ${v}`).join(', ')}) from ${cfg}` };
  }
  return { spec: resolvePipeline('PPTSM'), source: 'PPTSM' };
}

/**
 * A pipeline whose tensor the model cannot take fails every request with an inference error; say so at startup.
 * `feedShape` is the serving model's feed ([-1, T, 3, H, W]); null when they fit (or cannot be compared).
 */
export function pipelineMismatch(spec: PipelineSpec, feedShape: readonly number[]): string | null {
  const dims = pipelineOutputDims(spec);
  if (!dims) return null;
  const feed = feedShape.length === dims.length + 1 ? feedShape.slice(1) : feedShape;
  if (feed.length !== dims.length) return `the model's feed [${feedShape.join(', ')}] does not take the ${dims.length}-D clips the ${spec.name} preprocessing makes`;
  const bad = dims.some((d, i) => feed[i]! >= 0 && feed[i] !== d);
  if (!bad) return null;
  return `the ${spec.name} preprocessing makes [${dims.join(', ')}] per video, but the model's feed is [${feedShape.join(', ')}]: pick the pipeline (-n, or op.<name>.paddlevideo_config with the config the model was exported with) that matches the model`;
}
