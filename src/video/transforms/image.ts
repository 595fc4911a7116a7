// The image type the transforms pass along: what a PIL RGB image or an [H,W,3] uint8 ndarray holds in PaddleVideo.
export interface RgbImage {
  /** RGB uint8, C order [height, width, 3]. */
  data: Uint8Array;
  width: number;
  height: number;
}

/** A rectangle of an image (e.g. the part of a resize output that a following crop keeps). */
export interface Window {
  x: number;
  y: number;
  width: number;
  height: number;
}

export function checkWindow(w: Window, width: number, height: number): void {
  if (w.x < 0 || w.y < 0 || w.width < 1 || w.height < 1 || w.x + w.width > width || w.y + w.height > height)
    throw new Error(`window ${w.width}x${w.height}+${w.x}+${w.y} is outside the ${width}x${height} image`);
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

/**
 * A rectangle of a source image, optionally mirrored left-right: what crops produce without copying pixels.
 * Pixel (x, y) of the view is src(x0 + (flip ? width - 1 - x : x), y0 + y); the rectangle lies inside src.
 */
export interface ImageView {
  src: RgbImage;
  x0: number;
  y0: number;
  width: number;
  height: number;
  flip: boolean;
}

export type AnyImage = RgbImage | ImageView;

export function isView(img: AnyImage): img is ImageView {
  return 'src' in img;
}

/** The pixels of an image or view as a standalone image. */
export function materialize(img: AnyImage): RgbImage {
  if (!isView(img)) return img;
  const out = crop(img.src, img.x0, img.y0, img.width, img.height);
  return img.flip ? flipLeftRight(out) : out;
}

/** crop() that returns a view when the box lies inside the image (PIL's zero padding otherwise needs a copy). */
export function cropView(img: AnyImage, x: number, y: number, w: number, h: number): AnyImage {
  if (x < 0 || y < 0 || x + w > img.width || y + h > img.height) return crop(materialize(img), x, y, w, h);
  if (!isView(img)) return { src: img, x0: x, y0: y, width: w, height: h, flip: false };
  // Inside a mirrored view, view column x maps to source column x0 + width - 1 - x.
  const x0 = img.flip ? img.x0 + img.width - x - w : img.x0 + x;
  return { src: img.src, x0, y0: img.y0 + y, width: w, height: h, flip: img.flip };
}

/** transpose(FLIP_LEFT_RIGHT) as a view. */
export function flipView(img: AnyImage): ImageView {
  if (!isView(img)) return { src: img, x0: 0, y0: 0, width: img.width, height: img.height, flip: true };
  return { ...img, flip: !img.flip };
}

/** Calls fn for each row y: the row's pixel x starts at data[p + x * step] (step is -3 for mirrored views). */
export function forEachRow(img: AnyImage, fn: (y: number, data: Uint8Array, p: number, step: number) => void): void {
  if (!isView(img)) {
    for (let y = 0; y < img.height; y++) fn(y, img.data, y * img.width * 3, 3);
    return;
  }
  const { src, x0, y0, width, height, flip } = img;
  for (let y = 0; y < height; y++) {
    const row = ((y0 + y) * src.width + x0) * 3;
    if (flip) fn(y, src.data, row + (width - 1) * 3, -3);
    else fn(y, src.data, row, 3);
  }
}
