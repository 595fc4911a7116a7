// The seed's postprocess: softmax over each score row (numpy, float32), then the top class and its probability,
// answered as Python's str(list). We compute in float32 the way numpy does so the printed digits agree.
import { pyFloatList, pyStrList } from '../protocol/pyformat.ts';

const f32 = Math.fround;

/**
 * numpy's pairwise summation of float32 (what np.sum uses on a contiguous row): blocks of 8 partial sums up to
 * 128 elements, recursive halving above; every addition rounded to float32.
 */
export function pairwiseSumF32(a: Float32Array, start = 0, n = a.length): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res = f32(res + a[start + i]!);
    return res;
  }
  if (n <= 128) {
    const r = [0, 0, 0, 0, 0, 0, 0, 0];
    for (let j = 0; j < 8; j++) r[j] = a[start + j]!;
    let i = 8;
    const end = n - (n % 8);
    for (; i < end; i += 8) for (let j = 0; j < 8; j++) r[j] = f32(r[j]! + a[start + i + j]!);
    let res = f32(f32(f32(r[0]! + r[1]!) + f32(r[2]! + r[3]!)) + f32(f32(r[4]! + r[5]!) + f32(r[6]! + r[7]!)));
    for (; i < n; i++) res = f32(res + a[start + i]!);
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return f32(pairwiseSumF32(a, start, n2) + pairwiseSumF32(a, start + n2, n - n2));
}

// numpy's float32 exp (the SIMD kernel used on x86 with AVX2/AVX512: Cody-Waite range reduction, then a 5th/2nd
// order rational approximation) differs from a correctly rounded exp by up to ~2.5 ulp, so the seed's printed
// probabilities come from that kernel. We evaluate the same steps in float32, fused multiply-adds included.
const f32bits = (b: number) => new Float32Array(new Uint32Array([b]).buffer)[0]!;
const EXP_XMAX = 88.72283935546875;
const EXP_XMIN = -103.97208404541015625;
const LOG2E_F = f32bits(0x3fb8aa3b);
const RINT_MAGIC_F = f32bits(0x4b400000);
const CODY_C1 = f32bits(0xbf317200);
const CODY_C2 = f32bits(0xb5bfbe8e);
const EXP_P = [0x3f800000, 0x3f39cbd5, 0x3e7d4c58, 0x3d517d8c, 0x3bdd7159, 0x3a053dd8].map(f32bits);
const EXP_Q = [0x3f800000, 0xbe8c6857, 0x3cb0e832].map(f32bits);

const scratch = new Float64Array(1);
const scratchBits = new BigInt64Array(scratch.buffer);

/**
 * float32 fma(a, b, c) with one rounding: a*b is exact in double; the double sum is made round-to-odd using its
 * exact error term, which makes the final rounding to float32 correct (no double-rounding error).
 */
export function fmaF32(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  const bp = s - p;
  const err = p - (s - bp) + (c - bp);
  if (err === 0 || !Number.isFinite(s)) return f32(s);
  scratch[0] = s;
  // Round-to-odd: if the sum's last bit is even, step one ulp towards the exact value.
  if ((scratchBits[0]! & 1n) === 0n) {
    const towardLarger = (err > 0) === (s > 0);
    scratchBits[0] = scratchBits[0]! + (towardLarger ? 1n : -1n);
  }
  return f32(scratch[0]!);
}

/** numpy's float32 exp, value for value (see above). */
export function numpyExpF32(xIn: number): number {
  if (Number.isNaN(xIn)) return NaN;
  if (xIn >= EXP_XMAX) return Infinity;
  if (xIn <= EXP_XMIN) return 0;
  const x = f32(xIn);
  const q = f32(f32(f32(x * LOG2E_F) + RINT_MAGIC_F) - RINT_MAGIC_F);
  let y = fmaF32(q, CODY_C1, x);
  y = fmaF32(q, CODY_C2, y);
  let num = fmaF32(EXP_P[5]!, y, EXP_P[4]!);
  num = fmaF32(num, y, EXP_P[3]!);
  num = fmaF32(num, y, EXP_P[2]!);
  num = fmaF32(num, y, EXP_P[1]!);
  num = fmaF32(num, y, EXP_P[0]!);
  let den = fmaF32(EXP_Q[2]!, y, EXP_Q[1]!);
  den = fmaF32(den, y, EXP_Q[0]!);
  const poly = f32(num / den);
  // scalef: poly * 2^q, one rounding (only matters for results in float32's subnormal range)
  return f32(poly * 2 ** q);
}

/** Softmax of one float32 row as the seed's np_softmax computes it: x -= max; exp(x) / sum(exp(x)). */
export function softmaxF32(logits: Float32Array): Float32Array {
  let max = -Infinity;
  for (const v of logits) if (v > max || Number.isNaN(v)) max = v;
  const e = new Float32Array(logits.length);
  for (let i = 0; i < logits.length; i++) e[i] = numpyExpF32(f32(logits[i]! - max));
  const sum = pairwiseSumF32(e);
  for (let i = 0; i < e.length; i++) e[i] = f32(e[i]! / sum);
  return e;
}

export interface TopK {
  indices: number[];
  /** float32 probabilities widened to double, as numpy.float32.tolist() gives them. */
  probs: number[];
}

/** The k most probable classes; ties go to the lower index, as Python's list.index(max(score)) does. */
export function topK(probs: Float32Array, k: number): TopK {
  const kk = Math.max(1, Math.min(k, probs.length));
  const indices: number[] = [];
  const taken = new Uint8Array(probs.length);
  for (let n = 0; n < kk; n++) {
    let best = -1;
    for (let i = 0; i < probs.length; i++) {
      if (taken[i]) continue;
      if (best < 0 || probs[i]! > probs[best]! || (Number.isNaN(probs[i]!) && !Number.isNaN(probs[best]!))) best = i;
    }
    taken[best] = 1;
    indices.push(best);
  }
  return { indices, probs: indices.map((i) => probs[i]!) };
}

/** Class names by index from a PaddleVideo label list; indices themselves when no list is loaded. */
export class LabelMap {
  constructor(
    private readonly names: ReadonlyMap<number, string> | null,
    readonly source: string | null,
  ) {}

  get size(): number {
    return this.names?.size ?? 0;
  }

  name(index: number): string {
    return this.names?.get(index) ?? String(index);
  }
}

/** Parses `<index> <name>` lines (PaddleVideo's Kinetics-400_label_list.txt); names what is wrong and where. */
export function parseLabelList(text: string, file: string): Map<number, string> {
  const names = new Map<number, string>();
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    const t = line.trim();
    if (t === '') return;
    const m = /^(\d+)\s+(.+)$/.exec(t);
    if (!m) throw new Error(`${file}:${i + 1}: expected "<index> <label>", got ${JSON.stringify(t.slice(0, 60))}`);
    const idx = Number(m[1]);
    if (names.has(idx)) throw new Error(`${file}:${i + 1}: index ${idx} appears twice`);
    names.set(idx, m[2]!.trim());
  });
  if (names.size === 0) throw new Error(`${file}: label list is empty`);
  return names;
}

export interface Prediction {
  labels: string[];
  probs: number[];
  indices: number[];
}

/** Scores [N, C] → one prediction per row (top-k each; the seed answers top-1 per row). */
export function predict(scores: Float32Array, dims: readonly number[], labels: LabelMap, k: number): Prediction[] {
  const classes = dims[dims.length - 1]!;
  const rows = classes > 0 ? scores.length / classes : 0;
  const out: Prediction[] = [];
  for (let r = 0; r < rows; r++) {
    const p = softmaxF32(scores.subarray(r * classes, (r + 1) * classes));
    const t = topK(p, k);
    out.push({ labels: t.indices.map((i) => labels.name(i)), probs: t.probs, indices: t.indices });
  }
  return out;
}

/** The seed's answer: key ["label","prob"], value [str(labels), str(probs)], rows (and top-k) flattened. */
export function formatPrediction(preds: Prediction[]): { key: string[]; value: string[] } {
  const labels = preds.flatMap((p) => p.labels);
  const probs = preds.flatMap((p) => p.probs);
  return { key: ['label', 'prob'], value: [pyStrList(labels), pyFloatList(probs)] };
}

/**
 * Warm-up check: non-finite scores, or a softmax so flat every class is ≈ 1/C, mean the weights are missing or
 * untrained (PaddleVideo users saw 'abseiling' at 0.0025 = 1/400 from such a deployment).
 */
export function diagnoseScores(scores: Float32Array, classes: number): string | null {
  for (const v of scores) if (!Number.isFinite(v)) return 'the model output contains NaN or Infinity';
  const p = softmaxF32(scores.subarray(0, classes));
  let max = 0;
  let min = 1;
  for (const v of p) {
    if (v > max) max = v;
    if (v < min) min = v;
  }
  const uniform = 1 / classes;
  if (classes > 1 && max - min < 0.1 * uniform) {
    return `the softmax is uniform (every class ≈ 1/${classes} = ${uniform.toPrecision(3)}, max ${max.toPrecision(3)})`;
  }
  return null;
}
