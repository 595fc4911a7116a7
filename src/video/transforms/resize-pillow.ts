// Pillow's Image.resize(size, Image.BILINEAR) for 8-bit RGB (Pillow 9.x libImaging/Resample.c): a separable
// triangle filter whose support widens with the downscale factor (antialiasing), coefficients normalised per output
// pixel and converted to 22-bit fixed point; horizontal pass first (into an 8-bit intermediate image), then vertical.
import { checkWindow, crop, rgbImage, type RgbImage, type Window } from './image.ts';

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 1 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);

/** Per output pixel: first input index, number of taps, and `ksize` fixed-point weights. */
export interface PillowCoeffs {
  ksize: number;
  start: Int32Array;
  count: Int32Array;
  weights: Int32Array;
}

function bilinearFilter(x: number): number {
  if (x < 0) x = -x;
  return x < 1 ? 1 - x : 0;
}

/** precompute_coeffs + normalize_coeffs_8bpc for box [0, inSize) mapped onto outSize pixels. */
export function pillowCoeffs(inSize: number, outSize: number): PillowCoeffs {
  const scale = inSize / outSize;
  const filterscale = scale < 1 ? 1 : scale;
  const support = 1.0 * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const ss = 1.0 / filterscale;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    // C casts truncate toward zero.
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = bilinearFilter((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (let x = 0; x < ksize; x++) {
      let v = x < xmax ? k[x]! : 0;
      if (x < xmax && ww !== 0) v /= ww;
      weights[xx * ksize + x] = v < 0 ? Math.trunc(-0.5 + v * ONE) : Math.trunc(0.5 + v * ONE);
    }
    start[xx] = xmin;
    count[xx] = xmax;
  }
  return { ksize, start, count, weights };
}

/** clip8: the fixed-point sum shifted back to 8 bits, saturated. */
function clip8(v: number): number {
  const s = v >> PRECISION_BITS;
  return s < 0 ? 0 : s > 255 ? 255 : s;
}

// Coefficients depend only on the sizes: one video's frames all share them.
const coeffCache = new Map<string, PillowCoeffs>();

function cachedCoeffs(inSize: number, outSize: number): PillowCoeffs {
  const key = `${inSize}>${outSize}`;
  let c = coeffCache.get(key);
  if (!c) {
    if (coeffCache.size >= 64) coeffCache.clear();
    c = pillowCoeffs(inSize, outSize);
    coeffCache.set(key, c);
  }
  return c;
}

/**
 * Image.resize((outW, outH), Image.BILINEAR) for an RGB image. With `win`, only that rectangle of the output is
 * computed (each output pixel depends only on its own coefficients, so it equals resizing then cropping).
 */
export function pillowResizeBilinear(img: RgbImage, outW: number, outH: number, win?: Window): RgbImage {
  const { width: inW, height: inH } = img;
  const w = win ?? { x: 0, y: 0, width: outW, height: outH };
  checkWindow(w, outW, outH);
  const needH = outW !== inW;
  const needV = outH !== inH;
  if (!needH && !needV) return crop(img, w.x, w.y, w.width, w.height);
  const horiz = cachedCoeffs(inW, outW);
  const vert = cachedCoeffs(inH, outH);

  if (!needV) return resampleHorizontal(img, w.x, w.width, w.y, w.y + w.height, horiz);
  // Only the source rows the vertical pass reads go through the horizontal pass.
  const yFirst = vert.start[w.y]!;
  const yLast = vert.start[w.y + w.height - 1]! + vert.count[w.y + w.height - 1]!;
  if (!needH) return resampleVertical(img, w.x, w.width, 0, w.y, w.height, vert);
  const temp = resampleHorizontal(img, w.x, w.width, yFirst, yLast, horiz, scratch(w.width * (yLast - yFirst) * 3));
  return resampleVertical(temp, 0, w.width, yFirst, w.y, w.height, vert);
}

// The sums are exact in int32 (|weights| sum to about 2^22, pixels < 2^8), so Math.imul and `| 0` keep V8 on
// integer arithmetic; that halves the time per frame against the same loops in doubles.

// The intermediate image of the two passes never leaves this module: one buffer, reused (calls are synchronous).
let scratchBuf = new Uint8Array(0);

function scratch(bytes: number): Uint8Array {
  if (scratchBuf.length < bytes) scratchBuf = new Uint8Array(bytes);
  return scratchBuf.subarray(0, bytes);
}

/** Output columns [x0, x0 + n) of source rows [y0, y1), into `into` when given (n * (y1 - y0) * 3 bytes). */
function resampleHorizontal(img: RgbImage, x0: number, n: number, y0: number, y1: number, c: PillowCoeffs, into?: Uint8Array): RgbImage {
  const inRow = img.width * 3;
  const out = rgbImage(n, y1 - y0, into);
  const o = out.data;
  const s = img.data;
  const { ksize, start, count, weights } = c;
  let d = 0;
  for (let y = y0; y < y1; y++) {
    const row = y * inRow;
    for (let xx = x0; xx < x0 + n; xx++) {
      const kOff = xx * ksize;
      const taps = count[xx]!;
      let p = row + start[xx]! * 3;
      let s0 = HALF;
      let s1 = HALF;
      let s2 = HALF;
      for (let x = 0; x < taps; x++, p += 3) {
        const w = weights[kOff + x]!;
        s0 = (s0 + Math.imul(s[p]!, w)) | 0;
        s1 = (s1 + Math.imul(s[p + 1]!, w)) | 0;
        s2 = (s2 + Math.imul(s[p + 2]!, w)) | 0;
      }
      o[d++] = clip8(s0);
      o[d++] = clip8(s1);
      o[d++] = clip8(s2);
    }
  }
  return out;
}

/**
 * Output rows [y0, y0 + n) from columns [x0, x0 + width) of `img`, whose first row is source row `rowShift`.
 */
function resampleVertical(
  img: RgbImage,
  x0: number,
  width: number,
  rowShift: number,
  y0: number,
  n: number,
  c: PillowCoeffs,
): RgbImage {
  const inRow = img.width * 3;
  const rowLen = width * 3;
  const out = rgbImage(width, n);
  const o = out.data;
  const s = img.data;
  const { ksize, start, count, weights } = c;
  for (let yy = y0; yy < y0 + n; yy++) {
    const kOff = yy * ksize;
    const taps = count[yy]!;
    const r0 = (start[yy]! - rowShift) * inRow + x0 * 3;
    let d = (yy - y0) * rowLen;
    if (taps <= 3) {
      // Upscaling and mild downscaling read at most 3 rows: unrolled, with absent rows weighted 0 (read row r0).
      const w0 = weights[kOff]!;
      const w1 = taps > 1 ? weights[kOff + 1]! : 0;
      const w2 = taps > 2 ? weights[kOff + 2]! : 0;
      const r1 = taps > 1 ? r0 + inRow : r0;
      const r2 = taps > 2 ? r0 + 2 * inRow : r0;
      for (let i = 0; i < rowLen; i++) {
        o[d++] = clip8((HALF + Math.imul(s[r0 + i]!, w0) + Math.imul(s[r1 + i]!, w1) + Math.imul(s[r2 + i]!, w2)) | 0);
      }
    } else {
      for (let i = 0; i < rowLen; i++) {
        let sum = HALF;
        for (let y = 0, p = r0 + i; y < taps; y++, p += inRow) sum = (sum + Math.imul(s[p]!, weights[kOff + y]!)) | 0;
        o[d++] = clip8(sum);
      }
    }
  }
  return out;
}
