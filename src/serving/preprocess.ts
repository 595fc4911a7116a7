// The op's preprocessing, delegated to src/video (PaddleVideo's Sampler/Scale/Crop/Normalization as data):
// raw RGB frames or a compressed video in, the network input [1, ...] out (the seed feeds a batch of one).
import { inputError } from '../errors.ts';
import type { FloatTensor } from '../tensor.ts';
import { decodeSampledFrames } from '../video/decode.ts';
import { getPipeline, pipelineSampler, preprocessFrames, preprocessVideo, sampleIndices, type PipelineSpec } from '../video/pipelines.ts';
import type { OpInput } from './request.ts';

export type { PipelineSpec };
/** A pipeline by name (PPTSM, PPTSN) or as a spec object (e.g. a small one for a tiny test model). */
export type PipelineRef = string | PipelineSpec;

export function resolvePipeline(ref: PipelineRef): PipelineSpec {
  return typeof ref === 'string' ? getPipeline(ref) : ref;
}

export interface Preprocessed {
  tensor: FloatTensor;
  /** Compressed video: decoding the sampled frames (ms). */
  decodeMs: number;
  /** Scale/crop/normalize (ms); for pipelines whose decode cannot be timed apart, included in decodeMs. */
  preprocessMs: number;
}

/**
 * Whether the pipeline's Sampler, applied to the frames it already picked, picks them again in order (PP-TSM's
 * does). Then a video can be decoded to its sampled frames and run through preprocessFrames, timing both apart.
 */
function resamplingIsIdentity(spec: PipelineSpec): boolean {
  const s = pipelineSampler(spec);
  const n = s.num_seg * s.seg_len;
  try {
    const idx = sampleIndices(spec, n);
    return idx.length === n && idx.every((v, i) => v === i);
  } catch {
    return false;
  }
}

export async function preprocessInput(ref: PipelineRef, input: OpInput, signal?: AbortSignal): Promise<Preprocessed> {
  const spec = resolvePipeline(ref);
  const t0 = performance.now();
  let tensor: FloatTensor;
  let decodeMs = 0;
  if (input.kind === 'frames') {
    const [T, H, W] = input.shape;
    tensor = preprocessFrames(spec, { data: input.frames, T, H, W });
  } else if (resamplingIsIdentity(spec)) {
    const sampler = pipelineSampler(spec);
    const sampled = await decodeSampledFrames(input.bytes, (n) => sampleIndices(spec, n), { signal });
    decodeMs = performance.now() - t0;
    if (sampled.T !== sampler.num_seg * sampler.seg_len) throw inputError(`video decoding gave ${sampled.T} sampled frames, expected ${sampler.num_seg * sampler.seg_len}`);
    tensor = preprocessFrames(spec, sampled);
  } else {
    tensor = await preprocessVideo(spec, input.bytes, { signal });
    decodeMs = performance.now() - t0;
  }
  const preprocessMs = performance.now() - t0 - decodeMs;
  if (tensor.data.length === 0) throw inputError('preprocessing produced an empty tensor');
  return { tensor: { data: tensor.data, dims: [1, ...tensor.dims] }, decodeMs, preprocessMs };
}
