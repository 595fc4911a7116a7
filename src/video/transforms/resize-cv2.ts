// OpenCV 4.x cv2.resize(img, (w, h), interpolation=cv2.INTER_LINEAR) for 8-bit 3-channel images
// (modules/imgproc/src/resize.cpp): 11-bit fixed-point weights computed from float32 offsets, an int32 horizontal pass,
// and a vertical pass with the rounding of its SIMD kernel (VResizeLinearVec_32s8u, 128-bit universal intrinsics as in
// x86-64 builds): ((S0 >> 4) * b0 >> 16) + ((S1 >> 4) * b1 >> 16), then (x + 2) >> 2 — not the scalar
// (S0 * b0 + S1 * b1 + 2^21) >> 22. An exact 2x downscale in both directions takes OpenCV's INTER_AREA fast path.
import { pyRound } from './crop.ts';
import { checkWindow, crop, rgbImage, type RgbImage, type Window } from './image.ts';

const COEF_BITS = 11;
const COEF_SCALE = 1 << COEF_BITS;
const CN = 3;
/** Lanes of v_uint8 for CV_SIMD128. */
const U8_LANES = 16;

const f32 = Math.fround;

/** cvRound: round half to even (the SSE conversion OpenCV uses), the same rule as Python's round(). */
const cvRound = pyRound;

function saturateShort(v: number): number {
  const r = cvRound(v);
  return r < -32768 ? -32768 : r > 32767 ? 32767 : r;
}

/** Source index and the two fixed-point weights for each destination coordinate. */
interface AxisTable {
  ofs: Int32Array;
  w0: Int32Array;
  w1: Int32Array;
}

function axisTable(srcSize: number, dstSize: number, scale: number, clampEdges: boolean): AxisTable & { xmax: number } {
  const ofs = new Int32Array(dstSize);
  const w0 = new Int32Array(dstSize);
  const w1 = new Int32Array(dstSize);
  let xmax = dstSize;
  for (let d = 0; d < dstSize; d++) {
    let f = f32((d + 0.5) * scale - 0.5);
    let s = Math.floor(f);
    f = f32(f - s);
    if (clampEdges) {
      if (s < 0) {
        f = 0;
        s = 0;
      }
      if (s + 1 >= srcSize) {
        xmax = Math.min(xmax, d);
        if (s >= srcSize - 1) {
          f = 0;
          s = srcSize - 1;
        }
      }
    }
    ofs[d] = s;
    w0[d] = saturateShort(f32(1 - f) * COEF_SCALE);
    w1[d] = saturateShort(f * COEF_SCALE);
  }
  return { ofs, w0, w1, xmax };
}

/**
 * Number of leading elements of a `width`-long row that VResizeLinearVec_32s8u computes with SIMD. OpenCV 4.6 finishes
 * a row with one last, overlapping vector, so every element of rows at least one vector wide takes the SIMD rounding
 * (checked against OpenCV 4.6 outputs 768 and 1023 elements wide, where a scalar tail would differ).
 */
function simdPrefix(width: number): number {
  return width >= U8_LANES ? width : 0;
}

/**
 * cv2.resize(img, (dw, dh), interpolation=cv2.INTER_LINEAR). With `win`, only that rectangle of the output is
 * computed (equal to resizing then cropping: every output value depends only on its own offsets and weights).
 */
export function cv2ResizeLinear(img: RgbImage, dw: number, dh: number, win?: Window): RgbImage {
  const { width: sw, height: sh, data: src } = img;
  const w = win ?? { x: 0, y: 0, width: dw, height: dh };
  checkWindow(w, dw, dh);
  if (dw === sw && dh === sh) return crop(img, w.x, w.y, w.width, w.height);
  const invScaleX = dw / sw;
  const invScaleY = dh / sh;
  const scaleX = 1 / invScaleX;
  const scaleY = 1 / invScaleY;
  const isAreaFast =
    Math.abs(scaleX - cvRound(scaleX)) < Number.EPSILON && Math.abs(scaleY - cvRound(scaleY)) < Number.EPSILON;
  if (isAreaFast && cvRound(scaleX) === 2 && cvRound(scaleY) === 2) return areaFast2x(img, w);

  const xt = axisTable(sw, dw, scaleX, true);
  const yt = axisTable(sh, dh, scaleY, false);
  const x0 = w.x;
  const width = w.width * CN;

  // Horizontal pass of the window's columns per source row, computed on first use (int32, weights sum to 2^11).
  const hrows = new Int32Array(sh * width);
  const done = new Uint8Array(sh);
  const hresize = (row: number): number => {
    const base = row * width;
    if (done[row]) return base;
    done[row] = 1;
    const s = row * sw * CN;
    for (let dx = x0; dx < x0 + w.width; dx++) {
      const p = s + xt.ofs[dx]! * CN;
      const o = base + (dx - x0) * CN;
      if (dx < xt.xmax) {
        const a0 = xt.w0[dx]!;
        const a1 = xt.w1[dx]!;
        hrows[o] = src[p]! * a0 + src[p + CN]! * a1;
        hrows[o + 1] = src[p + 1]! * a0 + src[p + CN + 1]! * a1;
        hrows[o + 2] = src[p + 2]! * a0 + src[p + CN + 2]! * a1;
      } else {
        hrows[o] = src[p]! * COEF_SCALE;
        hrows[o + 1] = src[p + 1]! * COEF_SCALE;
        hrows[o + 2] = src[p + 2]! * COEF_SCALE;
      }
    }
    return base;
  };

  const out = rgbImage(w.width, w.height);
  const o = out.data;
  // Which rounding applies depends on the position in the full output row.
  const simdEnd = simdPrefix(dw * CN) - x0 * CN;
  const clipRow = (y: number): number => (y < 0 ? 0 : y >= sh ? sh - 1 : y);
  for (let dy = w.y; dy < w.y + w.height; dy++) {
    const sy = yt.ofs[dy]!;
    const r0 = hresize(clipRow(sy));
    const r1 = hresize(clipRow(sy + 1));
    const b0 = yt.w0[dy]!;
    const b1 = yt.w1[dy]!;
    const dst = (dy - w.y) * width;
    for (let x = 0; x < width; x++) {
      let r: number;
      if (x < simdEnd) {
        // v_mul_hi(v_pack(S >> 4), b) summed, then v_rshr_pack_u<2>.
        r = ((((hrows[r0 + x]! >> 4) * b0) >> 16) + (((hrows[r1 + x]! >> 4) * b1) >> 16) + 2) >> 2;
      } else {
        // FixedPtCast<int, uchar, 22>
        r = (hrows[r0 + x]! * b0 + hrows[r1 + x]! * b1 + (1 << 21)) >> 22;
      }
      o[dst + x] = r < 0 ? 0 : r > 255 ? 255 : r;
    }
  }
  return out;
}

/** INTER_AREA fast path for an exact 2x2 downscale: rounded mean of each 2x2 block (window `w` of the output). */
function areaFast2x(img: RgbImage, w: Window): RgbImage {
  const { width: sw, data: s } = img;
  const out = rgbImage(w.width, w.height);
  const o = out.data;
  const stride = sw * CN;
  for (let y = 0; y < w.height; y++) {
    const r0 = 2 * (w.y + y) * stride;
    const r1 = r0 + stride;
    for (let x = 0; x < w.width; x++) {
      for (let c = 0; c < CN; c++) {
        const i = 2 * (w.x + x) * CN + c;
        o[(y * w.width + x) * CN + c] = (s[r0 + i]! + s[r0 + i + CN]! + s[r1 + i]! + s[r1 + i + CN]! + 2) >> 2;
      }
    }
  }
  return out;
}
