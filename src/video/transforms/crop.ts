// PaddleVideo's CenterCrop and TenCrop (augmentations.py) on RGB images.
import { inputError } from '../../errors.ts';
import { cropView, flipView, type AnyImage, type Window } from './image.ts';

export interface CenterCropArgs {
  target_size: number;
  do_round?: boolean;
}

export interface TenCropArgs {
  target_size: number;
}

/** Python 3 round() for floats: halves go to the even neighbour. */
export function pyRound(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** CenterCrop's box (x1, y1, size) for an image size; throws if the image is smaller than the crop. */
export function centerCropBox(args: CenterCropArgs, w: number, h: number): Window {
  const t = args.target_size;
  const doRound = args.do_round ?? true;
  if (w < t || h < t) throw inputError(`CenterCrop: image ${w}x${h} is smaller than the crop size ${t}`);
  const x = doRound ? pyRound((w - t) / 2.0) : Math.floor((w - t) / 2);
  const y = doRound ? pyRound((h - t) / 2.0) : Math.floor((h - t) / 2);
  return { x, y, width: t, height: t };
}

/** Crops are views into the input images (no pixel copies). */
export function centerCrop(args: CenterCropArgs, imgs: readonly AnyImage[]): AnyImage[] {
  return imgs.map((img) => {
    const b = centerCropBox(args, img.width, img.height);
    return cropView(img, b.x, b.y, b.width, b.height);
  });
}

/** TenCrop's five crop origins for an image size: top-left, top-right, bottom-left, bottom-right, center. */
export function tenCropOffsets(imgW: number, imgH: number, size: number): [number, number][] {
  const wStep = Math.floor((imgW - size) / 4);
  const hStep = Math.floor((imgH - size) / 4);
  return [
    [0, 0],
    [4 * wStep, 0],
    [0, 4 * hStep],
    [4 * wStep, 4 * hStep],
    [2 * wStep, 2 * hStep],
  ];
}

/**
 * For each position: the crops of all images, then their mirrored copies — so output index is
 * (2 * position + flipped) * imgs.length + t. Offsets come from the first image's size, as in PaddleVideo.
 */
export function tenCrop(args: TenCropArgs, imgs: readonly AnyImage[]): AnyImage[] {
  if (imgs.length === 0) return [];
  const t = args.target_size;
  const out: AnyImage[] = [];
  for (const [x, y] of tenCropOffsets(imgs[0]!.width, imgs[0]!.height, t)) {
    const crops = imgs.map((img) => cropView(img, x, y, t, t));
    out.push(...crops, ...crops.map(flipView));
  }
  return out;
}
