// Pillow's Image.resize(size, Image.BILINEAR) for 8-bit RGB (Pillow 9.x libImaging/Resample.c): a separable
// triangle filter whose support widens with the downscale factor (antialiasing), coefficients normalised per output
// pixel and converted to 22-bit fixed point; horizontal pass first (into an 8-bit intermediate image), then vertical.
import { rgbImage, type RgbImage } from './image.ts';

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

/** Image.resize((outW, outH), Image.BILINEAR) for an RGB image. */
export function pillowResizeBilinear(img: RgbImage, outW: number, outH: number): RgbImage {
  const { width: inW, height: inH } = img;
  if (outW === inW && outH === inH) return rgbImage(inW, inH, img.data.slice());
  const needH = outW !== inW;
  const needV = outH !== inH;
  const horiz = pillowCoeffs(inW, outW);
  const vert = pillowCoeffs(inH, outH);

  // Only the source rows the vertical pass reads go through the horizontal pass.
  const yFirst = vert.start[0]!;
  const yLast = vert.start[outH - 1]! + vert.count[outH - 1]!;
  let src = img;
  let rowShift = 0;
  if (needH) {
    src = resampleHorizontal(img, outW, yFirst, yLast, horiz);
    rowShift = yFirst;
  }
  if (!needV) return src;
  return resampleVertical(src, outH, rowShift, vert);
}

function resampleHorizontal(img: RgbImage, outW: number, y0: number, y1: number, c: PillowCoeffs): RgbImage {
  const inRow = img.width * 3;
  const out = rgbImage(outW, y1 - y0);
  const o = out.data;
  const s = img.data;
  const { ksize, start, count, weights } = c;
  let d = 0;
  for (let y = y0; y < y1; y++) {
    const row = y * inRow;
    for (let xx = 0; xx < outW; xx++) {
      const kOff = xx * ksize;
      const n = count[xx]!;
      let p = row + start[xx]! * 3;
      let s0 = HALF;
      let s1 = HALF;
      let s2 = HALF;
      for (let x = 0; x < n; x++, p += 3) {
        const w = weights[kOff + x]!;
        s0 += s[p]! * w;
        s1 += s[p + 1]! * w;
        s2 += s[p + 2]! * w;
      }
      o[d++] = clip8(s0);
      o[d++] = clip8(s1);
      o[d++] = clip8(s2);
    }
  }
  return out;
}

function resampleVertical(img: RgbImage, outH: number, rowShift: number, c: PillowCoeffs): RgbImage {
  const rowLen = img.width * 3;
  const out = rgbImage(img.width, outH);
  const o = out.data;
  const s = img.data;
  const { ksize, start, count, weights } = c;
  const acc = new Int32Array(rowLen);
  for (let yy = 0; yy < outH; yy++) {
    const kOff = yy * ksize;
    const n = count[yy]!;
    const first = (start[yy]! - rowShift) * rowLen;
    acc.fill(HALF);
    for (let y = 0; y < n; y++) {
      const w = weights[kOff + y]!;
      const row = first + y * rowLen;
      for (let i = 0; i < rowLen; i++) acc[i] += s[row + i]! * w;
    }
    const dst = yy * rowLen;
    for (let i = 0; i < rowLen; i++) o[dst + i] = clip8(acc[i]!);
  }
  return out;
}
