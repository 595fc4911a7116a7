// The op's preprocessing, delegated to src/video (PaddleVideo's Sampler/Scale/Crop/Normalization as data):
// raw RGB frames or a compressed video in, the network input [1, ...] out (the seed feeds a batch of one).
import { ErrorCode, ServingError, inputError } from '../errors.ts';
import { FfmpegInterruptedError } from '../video/interrupted.ts';
import type { FloatTensor } from '../tensor.ts';
import { getPipeline, preprocessFrames, preprocessVideo, runAfterSampler, type PipelineSpec } from '../video/pipelines.ts';
import type { OpInput } from './request.ts';

export type { PipelineSpec };
/** A pipeline by name (PPTSM, PPTSN) or as a spec object (e.g. a small one for a tiny test model). */
export type PipelineRef = string | PipelineSpec;

export function resolvePipeline(ref: PipelineRef): PipelineSpec {
  return typeof ref === 'string' ? getPipeline(ref) : ref;
}

export interface Preprocessed {
  tensor: FloatTensor;
  /** Compressed video: decoding the sampled frames (ms), not counting transforms that overlapped it. */
  decodeMs: number;
  /** Scale/crop/normalize (ms), including the transforms done while ffmpeg was still decoding. */
  preprocessMs: number;
}

export async function preprocessInput(ref: PipelineRef, input: OpInput, signal?: AbortSignal): Promise<Preprocessed> {
  // Already the network input (with its batch dimension): nothing to do.
  if (input.kind === 'tensor') return { tensor: { data: input.data, dims: input.dims }, decodeMs: 0, preprocessMs: 0 };
  const spec = resolvePipeline(ref);
  const t0 = performance.now();
  let tensor: FloatTensor;
  let decodeMs = 0;
  if (input.kind === 'frames') {
    const [T, H, W] = input.shape;
    // Frames decoded for the Sampler alone (request.ts) skip it: they are its picks, in its order.
    tensor = 'picked' in input ? (runAfterSampler(spec, input.picked, {}) as FloatTensor) : preprocessFrames(spec, { data: input.frames, T, H, W });
  } else {
    // Frame-wise pipelines (PP-TSM) transform each sampled frame while ffmpeg decodes the next (see preprocessVideo).
    // Inputs by reference arrive here as allowed local paths (the worker resolves "video_url" to a download).
    if (input.kind === 'url') throw new Error('a video_url must be fetched before preprocessing');
    const source = input.kind === 'path' ? input.path : input.bytes;
    const decode = () =>
      preprocessVideo(spec, source, {
        signal,
        onTimings: (t) => {
          decodeMs = t.decodeMs;
        },
      });
    tensor = await decode().catch((e: unknown) => {
      // ffmpeg or its helper stopped from outside (a signal, a killed helper): once more, with a new helper.
      if (!(e instanceof FfmpegInterruptedError)) throw e;
      return decode().catch((again: unknown) => {
        if (!(again instanceof FfmpegInterruptedError)) throw again;
        // Not the input's fault: an internal error, never 5000.
        throw new ServingError(ErrorCode.UNKNOWN, `video decoding was interrupted twice (${again.why}); the input was not the cause, retry the request`);
      });
    });
  }
  const preprocessMs = performance.now() - t0 - decodeMs;
  if (tensor.data.length === 0) throw inputError('preprocessing produced an empty tensor');
  return { tensor: { data: tensor.data, dims: [1, ...tensor.dims] }, decodeMs, preprocessMs };
}
