// Preprocessing pipelines as data: an ordered list of PaddleVideo operators with their arguments, like the
// `PIPELINE` sections of PaddleVideo's YAML configs. PPTSM and PPTSN are get_preprocess_seq() of
// deploy/python_serving/recognition_web_service.py. Adding a model means adding a spec, not code.
import { inputError } from '../errors.ts';
import type { FloatTensor, Tensor } from '../tensor.ts';
import { collectSampledFrames, forEachSampledFrame, type DecodeOptions, type Frames, type VideoInput } from './decode.ts';
import { samplerIndices, type SamplerArgs } from './sampler.ts';
import {
  image2Array,
  image2ArrayLayout,
  normalization,
  normalizationAxis,
  normalizationTables,
  type Image2ArrayArgs,
  type NormalizationArgs,
} from './transforms/array.ts';
import { centerCrop, centerCropBox, tenCrop, type CenterCropArgs, type TenCropArgs } from './transforms/crop.ts';
import type { AnyImage, RgbImage } from './transforms/image.ts';
import { checkScaleArgs, scaleImage, scaleSize, type ScaleArgs } from './transforms/scale.ts';

export type OpSpec =
  | { op: 'Sampler'; args: SamplerArgs }
  | { op: 'Scale'; args: ScaleArgs }
  | { op: 'CenterCrop'; args: CenterCropArgs }
  | { op: 'TenCrop'; args: TenCropArgs }
  | { op: 'Image2Array'; args?: Image2ArrayArgs }
  | { op: 'Normalization'; args: NormalizationArgs };

export interface PipelineSpec {
  name: string;
  ops: readonly OpSpec[];
}

const IMAGENET_NORM: NormalizationArgs = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

/** Freezes a spec and everything in it: predefined pipelines are shared by every caller. */
function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/** The arguments of PaddleVideo's recognition inference helpers (tools/utils.py, Base_Inference_helper). */
export interface HelperArgs {
  num_seg: number;
  seg_len: number;
  short_size: number;
  target_size: number;
  top_k: number;
}

export interface InferenceHelper {
  /** The constructor's defaults; a config's INFERENCE section overrides them. */
  defaults: Readonly<HelperArgs>;
  /** The helper's preprocess(): its operators after VideoDecoder, in order. */
  ops(a: HelperArgs): OpSpec[];
}

/**
 * PaddleVideo's inference helpers (tools/utils.py), one entry each: the constructor's defaults and the operators its
 * preprocess() runs. decord's decoding (VideoDecoder backend 'decord') gives the frames cv2/ffmpeg give.
 */
export const INFERENCE_HELPERS: Readonly<Record<string, InferenceHelper>> = deepFreeze({
  ppTSM_Inference_helper: {
    defaults: { num_seg: 8, seg_len: 1, short_size: 256, target_size: 224, top_k: 1 },
    ops: (a: HelperArgs): OpSpec[] => [
      { op: 'Sampler', args: { num_seg: a.num_seg, seg_len: a.seg_len, valid_mode: true } },
      { op: 'Scale', args: { short_size: a.short_size } },
      { op: 'CenterCrop', args: { target_size: a.target_size } },
      { op: 'Image2Array' },
      { op: 'Normalization', args: IMAGENET_NORM },
    ],
  },
  ppTSN_Inference_helper: {
    defaults: { num_seg: 25, seg_len: 1, short_size: 256, target_size: 224, top_k: 1 },
    ops: (a: HelperArgs): OpSpec[] => [
      { op: 'Sampler', args: { num_seg: a.num_seg, seg_len: a.seg_len, valid_mode: true, select_left: true } },
      { op: 'Scale', args: { short_size: a.short_size, fixed_ratio: true, do_round: true, backend: 'cv2' } },
      { op: 'TenCrop', args: { target_size: a.target_size } },
      { op: 'Image2Array' },
      { op: 'Normalization', args: IMAGENET_NORM },
    ],
  },
});

/** Helpers PaddleVideo's recognition configs name that vidserve cannot run yet, with the reason. */
const UNSUPPORTED_HELPERS: Record<string, string> = {
  TimeSformer_Inference_helper: "its pyav decoding with linspace sampling, JitterScale and UniformCrop ('cthw' layout) are not implemented",
};

/** A pipeline from an inference helper's name and arguments (unset ones take the helper's defaults). */
export function helperPipeline(name: string, helper: string, args: Partial<HelperArgs> = {}): PipelineSpec {
  const h = INFERENCE_HELPERS[helper];
  if (!h) {
    const supported = Object.keys(INFERENCE_HELPERS).join(', ');
    const why = UNSUPPORTED_HELPERS[helper];
    throw inputError(`inference helper '${helper}' is not supported${why ? ` (${why})` : ''}; supported helpers: ${supported}`);
  }
  return { name, ops: h.ops({ ...h.defaults, ...args }) };
}

/** -n names: the seed's PPTSM/PPTSN and the zoo's recognizers, each its released config's INFERENCE section. */
export const PIPELINES: Record<string, PipelineSpec> = deepFreeze({
  PPTSM: helperPipeline('PPTSM', 'ppTSM_Inference_helper'),
  PPTSN: helperPipeline('PPTSN', 'ppTSN_Inference_helper'),
  // configs/recognition/pptsm/v2/pptsm_lcnet_k400_16frames_uniform.yaml (the 8-frame config: `num_seg: 8`).
  PPTSMv2: helperPipeline('PPTSMv2', 'ppTSM_Inference_helper', { num_seg: 16 }),
  // configs/recognition/tsm/tsm_k400_videos.yaml, configs/recognition/tsn/tsn_k400_videos.yaml.
  TSM: helperPipeline('TSM', 'ppTSM_Inference_helper', { num_seg: 8 }),
  TSN: helperPipeline('TSN', 'ppTSN_Inference_helper', { num_seg: 25 }),
});

/**
 * The tensor the pipeline gives for any video ([frames, 3, size, size], no batch axis), when its operators fix it:
 * what the model's feed must take.
 */
export function pipelineOutputDims(spec: PipelineSpec): number[] | undefined {
  const sampler = pipelineSampler(spec);
  let frames = sampler.num_seg * sampler.seg_len;
  let size: number | undefined;
  for (const o of spec.ops) {
    if (o.op === 'CenterCrop') size = o.args.target_size;
    if (o.op === 'TenCrop') {
      size = o.args.target_size;
      frames *= 10;
    }
    if (o.op === 'Image2Array' && (o.args?.transpose ?? true) === false) return undefined;
    if (o.op === 'Image2Array' && (o.args?.data_format ?? 'tchw') !== 'tchw') return undefined;
  }
  return size === undefined ? undefined : [frames, 3, size, size];
}

/** A predefined pipeline by model name, case-insensitive. */
export function getPipeline(name: string): PipelineSpec {
  const key = Object.keys(PIPELINES).find((k) => k.toLowerCase() === name.toLowerCase());
  if (!key) throw inputError(`unknown model name '${name}': known pipelines are ${Object.keys(PIPELINES).join(', ')}`);
  return PIPELINES[key]!;
}

export interface PreprocessOptions {
  /** 'uint8': stop before Normalization and return the crops as [T,C,H,W] uint8 (Image2Array's values). */
  stage?: 'float32' | 'uint8';
  /** preprocessVideo reports how long decoding (probe + sampled decode) and the transforms took. */
  onTimings?: (t: { decodeMs: number; preprocessMs: number }) => void;
}

/** The pipeline's Sampler arguments; every pipeline starts with exactly one Sampler. */
export function pipelineSampler(spec: PipelineSpec): SamplerArgs {
  const first = spec.ops[0];
  if (!first || first.op !== 'Sampler') throw new Error(`pipeline ${spec.name}: the first operator must be Sampler`);
  if (spec.ops.slice(1).some((o) => o.op === 'Sampler')) throw new Error(`pipeline ${spec.name}: only one Sampler allowed`);
  return first.args;
}

/** Frame indices the pipeline's Sampler picks from a video of `framesLen` decoded frames. */
export function sampleIndices(spec: PipelineSpec, framesLen: number): number[] {
  return samplerIndices(pipelineSampler(spec), framesLen);
}

type Stage = { kind: 'images'; imgs: AnyImage[] } | { kind: 'uint8'; arr: Tensor<Uint8Array> } | { kind: 'float32'; arr: FloatTensor };

function applyOp(spec: PipelineSpec, op: OpSpec, stage: Stage): Stage {
  const needImages = (): AnyImage[] => {
    if (stage.kind !== 'images') throw new Error(`pipeline ${spec.name}: ${op.op} needs images, but Image2Array came before it`);
    return stage.imgs;
  };
  switch (op.op) {
    case 'Sampler':
      throw new Error(`pipeline ${spec.name}: Sampler must be the first operator`);
    case 'Scale': {
      const args = checkScaleArgs(op.args);
      return { kind: 'images', imgs: needImages().map((img) => scaleImage(args, img)) };
    }
    case 'CenterCrop':
      return { kind: 'images', imgs: centerCrop(op.args, needImages()) };
    case 'TenCrop':
      return { kind: 'images', imgs: tenCrop(op.args, needImages()) };
    case 'Image2Array':
      return { kind: 'uint8', arr: image2Array(op.args ?? {}, needImages()) };
    case 'Normalization':
      if (stage.kind !== 'uint8') throw new Error(`pipeline ${spec.name}: Normalization needs Image2Array's output`);
      return { kind: 'float32', arr: normalization(op.args, stage.arr) };
    default:
      throw new Error(`pipeline ${spec.name}: unknown operator '${(op as { op: string }).op}'`);
  }
}

/**
 * Image2Array followed by Normalization in one pass (no uint8 intermediate), when mean/std broadcast along the colour
 * axis (or are a single value). Undefined when the layout needs the general path.
 */
function image2ArrayNormalized(a: Image2ArrayArgs, n: NormalizationArgs, imgs: AnyImage[], into?: Float32Array): FloatTensor | undefined {
  if (imgs.length === 0) return undefined;
  const { dims, channelAxis } = image2ArrayLayout(a, imgs.length, imgs[0]!.height, imgs[0]!.width);
  const axis = normalizationAxis(n, dims);
  if (axis !== channelAxis && axis >= 0) return undefined;
  const tables = normalizationTables(n);
  return image2Array(a, imgs, axis < 0 ? [tables[0]!, tables[0]!, tables[0]!] : tables, into);
}

function scaleThenCenterCrop(scale: ScaleArgs, cropArgs: CenterCropArgs, imgs: AnyImage[]): AnyImage[] {
  const args = checkScaleArgs(scale);
  return imgs.map((img) => {
    const [w, h] = scaleSize(args, img.width, img.height) ?? [img.width, img.height];
    return scaleImage(args, img, centerCropBox(cropArgs, w, h));
  });
}

/** Views of frames t = 0..T-1 as images (no copy). */
function frameViews(frames: Frames, order: readonly number[]): RgbImage[] {
  const frameBytes = frames.H * frames.W * 3;
  if (frames.data.length !== frames.T * frameBytes)
    throw inputError(`frames: ${frames.data.length} bytes do not hold [${frames.T}, ${frames.H}, ${frames.W}, 3] uint8`);
  return order.map((i) => ({ data: frames.data.subarray(i * frameBytes, (i + 1) * frameBytes), width: frames.W, height: frames.H }));
}

/**
 * Runs the operators after the Sampler on the sampled images (in sampled order). With `into` (of the output's type
 * and size) the result is written there: the fused Image2Array + Normalization writes it directly.
 */
export function runAfterSampler(spec: PipelineSpec, imgs: RgbImage[], opts: PreprocessOptions, into?: Float32Array | Uint8Array): Tensor<Float32Array | Uint8Array> {
  if (imgs.length === 0) throw new Error(`pipeline ${spec.name}: Sampler picked no frames`);
  let stage: Stage = { kind: 'images', imgs };
  const ops = spec.ops.slice(1);
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    if (op.op === 'Normalization' && opts.stage === 'uint8') break;
    const next = ops[i + 1];
    if (op.op === 'Scale' && next?.op === 'CenterCrop' && stage.kind === 'images') {
      // Resize only the part the crop keeps (same values as resizing everything, then cropping).
      stage = { kind: 'images', imgs: scaleThenCenterCrop(op.args, next.args, stage.imgs) };
      i++;
      continue;
    }
    if (op.op === 'Image2Array' && next?.op === 'Normalization' && opts.stage !== 'uint8' && stage.kind === 'images') {
      const fused = image2ArrayNormalized(op.args ?? {}, next.args, stage.imgs, into instanceof Float32Array ? into : undefined);
      if (fused) {
        stage = { kind: 'float32', arr: fused };
        i++;
        continue;
      }
    }
    stage = applyOp(spec, op, stage);
  }
  if (stage.kind === 'images') throw new Error(`pipeline ${spec.name} does not end in an array (add Image2Array)`);
  let out: Tensor<Float32Array | Uint8Array>;
  if (opts.stage === 'uint8') {
    if (stage.kind !== 'uint8') throw new Error(`pipeline ${spec.name}: no uint8 stage before Normalization`);
    out = stage.arr;
  } else if (stage.kind === 'uint8') out = { data: Float32Array.from(stage.arr.data), dims: stage.arr.dims };
  else out = stage.arr;
  if (!into || out.data === into) return out;
  if (into.length !== out.data.length || into.constructor !== out.data.constructor)
    throw new Error(`pipeline ${spec.name}: output buffer does not match the result [${out.dims}]`);
  into.set(out.data);
  return { data: into, dims: out.dims };
}

/** Model input (no batch axis) from decoded frames, e.g. [8,3,224,224] for PPTSM and [250,3,224,224] for PPTSN. */
export function preprocessFrames(spec: PipelineSpec, frames: Frames, opts?: { stage?: 'float32' }): FloatTensor;
export function preprocessFrames(spec: PipelineSpec, frames: Frames, opts: { stage: 'uint8' }): Tensor<Uint8Array>;
export function preprocessFrames(spec: PipelineSpec, frames: Frames, opts?: PreprocessOptions): Tensor<Float32Array | Uint8Array>;
export function preprocessFrames(spec: PipelineSpec, frames: Frames, opts: PreprocessOptions = {}): Tensor<Float32Array | Uint8Array> {
  return runAfterSampler(spec, frameViews(frames, sampleIndices(spec, frames.T)), opts);
}

/**
 * Whether the operators after the Sampler treat every frame on its own and stack frame-major ([T, ...]), so a frame
 * can be transformed as soon as it is decoded: Scale, CenterCrop, Image2Array ('tchw' or untransposed),
 * Normalization broadcast along at most the last three axes. (TenCrop and 'cthw' mix frames: batch path.)
 */
function framewise(spec: PipelineSpec): boolean {
  const ops = spec.ops.slice(1);
  const names = ops.map((o) => o.op).join(',');
  if (names !== 'Scale,CenterCrop,Image2Array,Normalization' && names !== 'Scale,CenterCrop,Image2Array') return false;
  for (const o of ops) {
    if (o.op === 'Image2Array' && (o.args?.data_format ?? 'tchw') !== 'tchw') return false;
    if (o.op === 'Normalization' && (o.args.tensor_shape?.length ?? 3) > 3) return false;
  }
  return true;
}

/**
 * Server-side preprocessing of a compressed video: decodes once, keeping only the frames the Sampler picks.
 * Equals decodeAllFrames + preprocessFrames. For frame-wise pipelines (PP-TSM) each picked frame is transformed as
 * it arrives, while ffmpeg decodes the next ones; `onTimings` then reports the transforms' own time as preprocessMs
 * and the rest of the wall time as decodeMs.
 */
export async function preprocessVideo(
  spec: PipelineSpec,
  input: VideoInput,
  opts?: DecodeOptions & Omit<PreprocessOptions, 'stage'> & { stage?: 'float32' },
): Promise<FloatTensor>;
export async function preprocessVideo(
  spec: PipelineSpec,
  input: VideoInput,
  opts: DecodeOptions & Omit<PreprocessOptions, 'stage'> & { stage: 'uint8' },
): Promise<Tensor<Uint8Array>>;
export async function preprocessVideo(
  spec: PipelineSpec,
  input: VideoInput,
  opts?: DecodeOptions & PreprocessOptions,
): Promise<Tensor<Float32Array | Uint8Array>>;
export async function preprocessVideo(
  spec: PipelineSpec,
  input: VideoInput,
  opts: DecodeOptions & PreprocessOptions = {},
): Promise<Tensor<Float32Array | Uint8Array>> {
  const sampler = pipelineSampler(spec);
  const decodeOpts: DecodeOptions = { signal: opts.signal, orientation: opts.orientation, seek: opts.seek, seekRuns: opts.seekRuns, onDecodePath: opts.onDecodePath };
  const t0 = performance.now();
  if (framewise(spec)) {
    // Each frame is transformed straight into its slot(s) of the output, placed by the first pick (made from the
    // container's frame count before decoding). Frames outside it are kept aside in case the decoder's count differs
    // and the final pick moves.
    let firstPick: number[] | undefined;
    const pickFirst = (n: number): number[] => {
      const p = samplerIndices(sampler, n);
      firstPick ??= p;
      return p;
    };
    const Out = opts.stage === 'uint8' ? Uint8Array : Float32Array;
    let out: Float32Array | Uint8Array | undefined;
    let frameDims: number[] = [];
    let per = 0;
    const slotOf = new Map<number, number>();
    const aside = new Map<number, Float32Array | Uint8Array>();
    let transformMs = 0;
    const indices = await forEachSampledFrame(input, pickFirst, (i, rgb, width, height) => {
      const s = performance.now();
      const img = [{ data: rgb, width, height }];
      const slots = firstPick!.flatMap((f, t) => (f === i ? [t] : []));
      const r = runAfterSampler(spec, img, opts, slots.length && out ? out.subarray(slots[0]! * per, (slots[0]! + 1) * per) : undefined);
      if (!per) {
        frameDims = r.dims.slice(1);
        per = r.data.length;
      }
      if (slots.length === 0) aside.set(i, r.data);
      else {
        if (!out) {
          out = new Out(firstPick!.length * per);
          out.set(r.data, slots[0]! * per);
        }
        for (const t of slots.slice(1)) out.copyWithin(t * per, slots[0]! * per, (slots[0]! + 1) * per);
        slotOf.set(i, slots[0]!);
      }
      transformMs += performance.now() - s;
    }, decodeOpts);
    const t1 = performance.now();
    if (indices.length === 0 || !per) throw new Error(`pipeline ${spec.name}: Sampler picked no frames`);
    let data = out;
    if (!data || indices.length !== firstPick!.length || indices.some((f, t) => f !== firstPick![t])) {
      const moved = new Out(indices.length * per);
      indices.forEach((f, t) => {
        const slot = slotOf.get(f);
        moved.set(slot !== undefined ? out!.subarray(slot * per, (slot + 1) * per) : aside.get(f)!, t * per);
      });
      data = moved;
    }
    opts.onTimings?.({ decodeMs: t1 - t0 - transformMs, preprocessMs: transformMs + performance.now() - t1 });
    return { data, dims: [indices.length, ...frameDims] };
  }
  const pick = (n: number): number[] => samplerIndices(sampler, n);
  const { indices, kept, W, H } = await collectSampledFrames(input, pick, decodeOpts);
  const t1 = performance.now();
  const imgs = indices.map((i) => ({ data: kept.get(i)!, width: W, height: H }));
  const out = runAfterSampler(spec, imgs, opts);
  opts.onTimings?.({ decodeMs: t1 - t0, preprocessMs: performance.now() - t1 });
  return out;
}
