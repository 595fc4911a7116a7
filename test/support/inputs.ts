// Network inputs the tests make: seeded, so every run (and every format of a model) sees the same values.

/** Deterministic, image-like input values in [-2, 2] (a 32-bit LCG from `seed`). */
export function imageLikeInput(n: number, seed: number): Float32Array {
  const x = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = (s / 2 ** 32) * 4 - 2;
  }
  return x;
}
