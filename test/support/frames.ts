// Frame comparisons for the seeking-decode tests (test/video-seek*.test.ts): the picked frames against the full decode,
// bit for bit, with the decode path that ran.
import assert from 'node:assert/strict';
import { decodeAllFrames, decodeFramesAt, type DecodeOptions, type Frames } from '../../src/video/decode.ts';

export type DecodePath = Parameters<NonNullable<DecodeOptions['onDecodePath']>>[0];

/** Frame t of [T,H,W,3] frames, without a copy. */
export const frameAt = (f: Frames, t: number): Buffer => {
  const size = f.H * f.W * 3;
  return Buffer.from(f.data.buffer, f.data.byteOffset + t * size, size);
};

/** decodeFramesAt with the path it took. */
export async function framesAt(file: string | Uint8Array, indices: number[], opts: DecodeOptions = {}): Promise<{ frames: Frames; mode: DecodePath }> {
  let mode: DecodePath | undefined;
  const frames = await decodeFramesAt(file, indices, { ...opts, onDecodePath: (p) => (mode = p) });
  return { frames, mode: mode! };
}

/** `got` holds frames `indices` of the full decode `all`, in that order. */
export function assertSameFrames(all: Frames, indices: number[], got: Frames, what: string): void {
  assert.deepEqual([got.T, got.H, got.W], [indices.length, all.H, all.W], what);
  indices.forEach((i, t) => assert.ok(frameAt(got, t).equals(frameAt(all, i)), `${what}: frame ${i} (t=${t})`));
}

/** A damaged file: the first, sixth and last frames come from the full decode path and equal the full decode's. */
export async function assertFallsBackToFull(file: string, what: string): Promise<Frames> {
  const all = await decodeAllFrames(file);
  const indices = [0, 5, all.T - 1];
  const { frames, mode } = await framesAt(file, indices);
  assert.equal(mode.mode, 'full', `${what}: ${JSON.stringify(mode)}`);
  assertSameFrames(all, indices, frames, what);
  return all;
}
