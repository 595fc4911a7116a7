// The image type the transforms pass along: what a PIL RGB image or an [H,W,3] uint8 ndarray holds in PaddleVideo.
export interface RgbImage {
  /** RGB uint8, C order [height, width, 3]. */
  data: Uint8Array;
  width: number;
  height: number;
}

export function rgbImage(width: number, height: number, data?: Uint8Array): RgbImage {
  const size = width * height * 3;
  if (data && data.length !== size) throw new Error(`image data has ${data.length} bytes, expected ${width}x${height}x3=${size}`);
  return { data: data ?? new Uint8Array(size), width, height };
}

/**
 * PIL's Image.crop((x0, y0, x0 + w, y0 + h)): the box may reach outside the image; those pixels are 0.
 */
export function crop(img: RgbImage, x0: number, y0: number, w: number, h: number): RgbImage {
  const out = rgbImage(w, h);
  const xa = Math.max(0, x0);
  const xb = Math.min(img.width, x0 + w);
  if (xb <= xa) return out;
  for (let y = 0; y < h; y++) {
    const sy = y0 + y;
    if (sy < 0 || sy >= img.height) continue;
    const src = (sy * img.width + xa) * 3;
    out.data.set(img.data.subarray(src, src + (xb - xa) * 3), (y * w + (xa - x0)) * 3);
  }
  return out;
}

/** PIL's transpose(FLIP_LEFT_RIGHT). */
export function flipLeftRight(img: RgbImage): RgbImage {
  const { width: w, height: h, data } = img;
  const out = rgbImage(w, h);
  const o = out.data;
  for (let y = 0; y < h; y++) {
    const row = y * w * 3;
    for (let x = 0; x < w; x++) {
      const s = row + x * 3;
      const d = row + (w - 1 - x) * 3;
      o[d] = data[s]!;
      o[d + 1] = data[s + 1]!;
      o[d + 2] = data[s + 2]!;
    }
  }
  return out;
}
