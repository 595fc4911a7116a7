// The warm-up input, shared with the bench so both time the model on the same data.
import { numel } from '../tensor.ts';

/** A deterministic, non-constant input for the warm-up run (values roughly like normalized pixels). */
export function warmupInput(dims: number[]): Float32Array {
  const n = numel(dims);
  const x = new Float32Array(n);
  let s = 12345;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    x[i] = (s / 0x100000000) * 4 - 2;
  }
  return x;
}
