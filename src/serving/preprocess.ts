// The op's preprocessing, delegated to src/video (PaddleVideo's Sampler/Scale/Crop/Normalization as data):
// raw RGB frames or a compressed video in, the network input [1, ...] out (the seed feeds a batch of one).
import { inputError } from '../errors.ts';
import type { FloatTensor } from '../tensor.ts';
import { getPipeline, preprocessFrames, preprocessVideo } from '../video/pipelines.ts';
import type { OpInput } from './request.ts';

export type PipelineSpec = ReturnType<typeof getPipeline>;
/** A pipeline by name (PPTSM, PPTSN) or as a spec object (e.g. a small one for a tiny test model). */
export type PipelineRef = string | PipelineSpec;

export function resolvePipeline(ref: PipelineRef): PipelineSpec {
  return typeof ref === 'string' ? getPipeline(ref) : ref;
}

export interface Preprocessed {
  tensor: FloatTensor;
  decodeMs: number;
  preprocessMs: number;
}

export async function preprocessInput(ref: PipelineRef, input: OpInput): Promise<Preprocessed> {
  const spec = resolvePipeline(ref);
  const t0 = performance.now();
  let tensor: FloatTensor;
  let decodeMs = 0;
  if (input.kind === 'frames') {
    const [T, H, W] = input.shape;
    tensor = preprocessFrames(spec, { data: input.frames, T, H, W });
  } else {
    tensor = await preprocessVideo(spec, input.bytes);
    decodeMs = 0;
  }
  const preprocessMs = performance.now() - t0 - decodeMs;
  if (tensor.data.length === 0) throw inputError('preprocessing produced an empty tensor');
  return { tensor: { data: tensor.data, dims: [1, ...tensor.dims] }, decodeMs, preprocessMs };
}
