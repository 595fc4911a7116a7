// PaddleVideo's Scale (augmentations.py): resize so the short side becomes short_size.
import { cropView, materialize, type AnyImage, type Window } from './image.ts';
import { cv2ResizeLinear } from './resize-cv2.ts';
import { pillowResizeBilinear } from './resize-pillow.ts';

export interface ScaleArgs {
  short_size: number;
  fixed_ratio?: boolean;
  keep_ratio?: boolean | null;
  do_round?: boolean;
  backend?: 'pillow' | 'cv2';
}

export function checkScaleArgs(args: ScaleArgs): Required<ScaleArgs> {
  const full = {
    short_size: args.short_size,
    fixed_ratio: args.fixed_ratio ?? true,
    keep_ratio: args.keep_ratio ?? null,
    do_round: args.do_round ?? false,
    backend: args.backend ?? 'pillow',
  };
  if (!(full.short_size > 0)) throw new Error(`Scale: short_size must be positive, got ${full.short_size}`);
  if (full.fixed_ratio && full.keep_ratio) throw new Error('Scale: fixed_ratio and keep_ratio cannot be true at the same time');
  if (full.backend !== 'pillow' && full.backend !== 'cv2')
    throw new Error(`Scale: backend must be 'pillow' or 'cv2', got '${String(full.backend)}'`);
  return full;
}

/** Output [width, height] for an input size, or undefined when Scale returns the image unchanged. */
export function scaleSize(args: Required<ScaleArgs>, w: number, h: number): [number, number] | undefined {
  const s = args.short_size;
  if ((w <= h && w === s) || (h <= w && h === s)) return undefined;
  let ow: number;
  let oh: number;
  if (w <= h) {
    ow = s;
    if (args.fixed_ratio) oh = Math.trunc((s * 4.0) / 3.0);
    else if (args.keep_ratio === false) oh = s;
    else {
      const factor = s / w;
      oh = args.do_round ? Math.trunc(h * factor + 0.5) : Math.trunc((h * s) / w);
      ow = args.do_round ? Math.trunc(w * factor + 0.5) : s;
    }
  } else {
    oh = s;
    if (args.fixed_ratio) ow = Math.trunc((s * 4.0) / 3.0);
    else if (args.keep_ratio === false) ow = s;
    else {
      const factor = s / h;
      oh = args.do_round ? Math.trunc(h * factor + 0.5) : s;
      ow = args.do_round ? Math.trunc(w * factor + 0.5) : Math.trunc((w * s) / h);
    }
  }
  return [ow, oh];
}

/**
 * Scale one image; returns the same object when PaddleVideo leaves it unchanged. With `win` (in output coordinates),
 * only that part of the output is computed and returned — what a following crop would keep.
 */
export function scaleImage(args: Required<ScaleArgs>, img: AnyImage, win?: Window): AnyImage {
  const size = scaleSize(args, img.width, img.height);
  if (!size) return win ? cropView(img, win.x, win.y, win.width, win.height) : img;
  const [ow, oh] = size;
  if (ow < 1 || oh < 1) throw new Error(`Scale: output size ${ow}x${oh} for a ${img.width}x${img.height} image`);
  const src = materialize(img);
  return args.backend === 'pillow' ? pillowResizeBilinear(src, ow, oh, win) : cv2ResizeLinear(src, ow, oh, win);
}
