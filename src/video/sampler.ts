// PaddleVideo's Sampler (paddlevideo/loader/pipelines/sample.py) for format='video', backend='cv2', test mode:
// which frames of a decoded video become the model's segments. Index arithmetic follows the Python exactly,
// including its float/int quirks, so the same frames are picked.
import { inputError } from '../errors.ts';

export interface SamplerArgs {
  num_seg: number;
  seg_len: number;
  frame_interval?: number | null;
  valid_mode?: boolean;
  select_left?: boolean;
  dense_sample?: boolean;
  linspace_sample?: boolean;
}

/** numpy.linspace(start, stop, num) with endpoint=True, as float64 values. */
function linspace(start: number, stop: number, num: number): number[] {
  const div = num - 1;
  const delta = stop - start;
  const out: number[] = [];
  for (let i = 0; i < num; i++) {
    let v: number;
    if (div > 0) {
      const step = delta / div;
      v = step === 0 ? (i / div) * delta : i * step;
    } else {
      v = i * delta;
    }
    out.push(v + start);
  }
  if (num > 1) out[num - 1] = stop;
  return out;
}

/** Python's `a % b` for ints (result has the sign of b). */
function pyMod(a: number, b: number): number {
  return ((a % b) + b) % b;
}

/**
 * Indices (0-based, into the decoded [T,H,W,3] frames) that PaddleVideo's Sampler picks for `framesLen` frames.
 * Where PaddleVideo itself fails (float offsets, indices past the end) this throws an input error saying why.
 */
export function samplerIndices(args: SamplerArgs, framesLen: number): number[] {
  const { num_seg: numSeg, seg_len: segLen } = args;
  if (!Number.isInteger(numSeg) || numSeg < 1) throw new Error(`Sampler: num_seg must be a positive integer, got ${numSeg}`);
  if (!Number.isInteger(segLen) || segLen < 1) throw new Error(`Sampler: seg_len must be a positive integer, got ${segLen}`);
  if (!Number.isInteger(framesLen) || framesLen < 1) throw inputError(`video has no frames to sample (frames_len=${framesLen})`);
  if (args.frame_interval != null) {
    // PaddleVideo's frame_interval path uses np.int, which NumPy >= 1.24 removed; serving never uses it.
    throw new Error('Sampler: frame_interval is not supported');
  }
  if (!args.valid_mode) throw new Error('Sampler: only valid_mode=true (deterministic test-time sampling) is supported');

  let idx: number[];
  if (args.linspace_sample) {
    idx = linspace(0, framesLen - 1, numSeg).map((v) => pyMod(Math.trunc(Math.min(Math.max(v, 0), framesLen - 1)), framesLen));
  } else if (!args.select_left) {
    const averageDur = Math.trunc(framesLen / numSeg);
    idx = [];
    if (args.dense_sample) {
      // PP-TSM dense test sampling: 10 clips of num_seg frames, offsets 1-based as in PaddleVideo (used as-is).
      const samplePos = Math.max(1, 1 + framesLen - 64);
      const tStride = Math.floor(64 / numSeg);
      for (const start of linspace(0, samplePos - 1, 10).map(Math.floor)) {
        for (let i = 0; i < numSeg; i++) idx.push(((i * tStride + start) % framesLen) + 1);
      }
    } else {
      for (let i = 0; i < numSeg; i++) {
        let first: number;
        if (averageDur >= segLen) first = Math.floor((averageDur - 1) / 2) + i * averageDur;
        else if (averageDur >= 1) first = i * averageDur;
        else first = i;
        for (let jj = first; jj < first + segLen; jj++) idx.push(jj % framesLen);
      }
    }
  } else {
    if (framesLen <= numSeg) {
      // PaddleVideo builds float offsets np.zeros(num_seg) here, and indexing the frames with them raises IndexError.
      throw inputError(
        `video too short: ${framesLen} frames, but this model's Sampler (num_seg=${numSeg}, select_left) needs more than ` +
          `${numSeg} frames (PaddleVideo fails with IndexError on float offsets)`,
      );
    }
    const avg = framesLen / numSeg;
    idx = [];
    for (let x = 0; x < numSeg; x++) idx.push(Math.trunc(avg / 2.0 + avg * x) % framesLen);
  }

  for (const i of idx) {
    if (i >= framesLen) {
      throw inputError(`Sampler picked frame index ${i}, past the last of ${framesLen} frames (PaddleVideo raises IndexError)`);
    }
  }
  return idx;
}
