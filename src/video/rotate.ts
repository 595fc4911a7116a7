// Orientation of decoded frames. Frames are decoded as stored and turned here, after the RGB conversion, as
// cv2.VideoCapture does (cv::rotate on the converted frame), so the result is exact for any frame size.
//
// Which way to turn differs between OpenCV releases (the display matrix angle D is what ffmpeg prints as
// "displaymatrix: rotation of D degrees"; a phone video shot in portrait typically has D = -90):
// - 'display': turn clockwise by -D, the way the video is meant to be shown. ffmpeg's default, and OpenCV 4.4-4.5
//   and 4.7-4.10 (auto-rotation on by default).
// - 'cv2-4.6': OpenCV 4.6.0 read the angle with the wrong sign (opencv/opencv#22088, fixed in 4.7), turning
//   +-90 degree videos the other way (upside down); 180 is unaffected.
// - 'none': frames as stored — opencv-python 4.2 (PaddleVideo's requirements.txt pin), which had no auto-rotation.
export type Orientation = 'display' | 'cv2-4.6' | 'none';

export const DEFAULT_ORIENTATION: Orientation = 'display';

/** Clockwise turn (0, 90, 180, 270) applied to frames for display-matrix angle `displayAngle` under `mode`. */
export function appliedRotation(displayAngle: number, mode: Orientation): number {
  if (mode === 'none') return 0;
  const a = Math.round(mode === 'display' ? -displayAngle : displayAngle);
  const r = ((a % 360) + 360) % 360;
  // Only quarter turns are applied (cv::rotate); other angles leave the frame as stored.
  return r % 90 === 0 ? r : 0;
}

/** Turns an RGB [h, w, 3] frame clockwise by `degrees` (90, 180, 270) into `out` ([w, h, 3] for quarter turns). */
export function rotateRgb(src: Uint8Array, w: number, h: number, degrees: number, out: Uint8Array): void {
  if (out.length !== src.length) throw new Error('rotateRgb: output size differs from input');
  if (degrees === 180) {
    const n = w * h;
    for (let i = 0, j = (n - 1) * 3; i < n * 3; i += 3, j -= 3) {
      out[j] = src[i]!;
      out[j + 1] = src[i + 1]!;
      out[j + 2] = src[i + 2]!;
    }
    return;
  }
  if (degrees !== 90 && degrees !== 270) throw new Error(`rotateRgb: unsupported angle ${degrees}`);
  // Output is h wide and w tall. Clockwise: out(x', y') = src(x = y', y = h-1-x'); counter-clockwise:
  // out(x', y') = src(x = w-1-y', y = x').
  const cw = degrees === 90;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const s = (y * w + x) * 3;
      const ox = cw ? h - 1 - y : y;
      const oy = cw ? x : w - 1 - x;
      const d = (oy * h + ox) * 3;
      out[d] = src[s]!;
      out[d + 1] = src[s + 1]!;
      out[d + 2] = src[s + 2]!;
    }
  }
}
