// The seed's clients send `frames_shape` as Python's str(ndarray.shape), e.g. "(131, 240, 320, 3)", and the seed
// `eval`s it. We parse exactly the tuple/list-of-integers grammar instead, so no other text is ever accepted.

export class ShapeSyntaxError extends Error {
  override name = 'ShapeSyntaxError';
}

const MAX_DIM = 2 ** 31 - 1;

/**
 * Parses "(d0, d1, ...)" or "[d0, d1, ...]" of non-negative decimal integers (whitespace allowed around items;
 * a trailing comma allowed, as in Python's "(5,)"). Throws ShapeSyntaxError naming what is wrong.
 */
export function parseShapeString(text: string): number[] {
  const s = text.trim();
  const open = s[0];
  const close = open === '(' ? ')' : open === '[' ? ']' : undefined;
  if (close === undefined || s[s.length - 1] !== close || s.length < 2) {
    throw new ShapeSyntaxError(`expected a tuple of integers like "(131, 240, 320, 3)", got ${JSON.stringify(clip(text))}`);
  }
  const body = s.slice(1, -1).trim();
  if (body === '') return [];
  const parts = body.split(',');
  // A single trailing comma is Python's tuple syntax; an empty item anywhere else is an error.
  if (parts.length > 1 && parts[parts.length - 1]!.trim() === '') parts.pop();
  const dims: number[] = [];
  for (const raw of parts) {
    const item = raw.trim();
    if (!/^\d{1,10}$/.test(item)) {
      throw new ShapeSyntaxError(`shape item ${JSON.stringify(clip(item))} in ${JSON.stringify(clip(text))} is not a non-negative integer`);
    }
    const n = Number(item);
    if (n > MAX_DIM) throw new ShapeSyntaxError(`shape item ${item} is too large`);
    dims.push(n);
  }
  return dims;
}

/** The RGB frame-stack shape [T, H, W, 3] of the seed's `frames` input, checked for sense. */
export function parseFramesShape(text: string): [number, number, number, number] {
  const dims = parseShapeString(text);
  if (dims.length !== 4) {
    throw new ShapeSyntaxError(`frames_shape must have 4 dimensions (T, H, W, 3), got ${dims.length}: ${JSON.stringify(clip(text))}`);
  }
  const [t, h, w, c] = dims as [number, number, number, number];
  if (c !== 3) throw new ShapeSyntaxError(`frames_shape must end in 3 (RGB channels), got ${c}`);
  if (t === 0 || h === 0 || w === 0) throw new ShapeSyntaxError(`frames_shape has an empty dimension: ${JSON.stringify(clip(text))}`);
  return [t, h, w, c];
}

function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
