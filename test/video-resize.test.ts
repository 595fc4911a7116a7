// Scale (Pillow bilinear / OpenCV INTER_LINEAR backends) against PaddleVideo's outputs in ../shared/golden/resize.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readNpy } from '../src/video/npy.ts';
import { checkScaleArgs, scaleImage, scaleSize, type ScaleArgs } from '../src/video/transforms/scale.ts';
import { cv2ResizeLinear } from '../src/video/transforms/resize-cv2.ts';
import { pillowResizeBilinear } from '../src/video/transforms/resize-pillow.ts';
import { crop, cropView, flipLeftRight, flipView, isView, materialize } from '../src/video/transforms/image.ts';
import { centerCrop, pyRound, tenCrop } from '../src/video/transforms/crop.ts';
import { goldenFile, needsShared } from './support/shared.ts';

const CASES = goldenFile('resize_cases.json');
const sha256 = (a: Uint8Array): string => createHash('sha256').update(a).digest('hex');

/** The input images, from the integer formulas in resize_cases.json. */
function makeInput(c: { input_H: number; input_W: number; variant: string; seed: number | null }): Uint8Array {
  const { input_H: H, input_W: W } = c;
  const out = new Uint8Array(H * W * 3);
  if (c.variant === 'random') {
    for (let i = 0; i < out.length; i++) {
      let h = (Math.imul(i, 0x9e3779b1) + c.seed!) >>> 0;
      h ^= h >>> 16;
      h = Math.imul(h, 0x85ebca6b) >>> 0;
      h ^= h >>> 13;
      h = Math.imul(h, 0xc2b2ae35) >>> 0;
      h ^= h >>> 16;
      out[i] = h & 0xff;
    }
  } else if (c.variant === 'gradient') {
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const o = (y * W + x) * 3;
        out[o] = Math.floor((255 * x) / Math.max(W - 1, 1));
        out[o + 1] = Math.floor((255 * y) / Math.max(H - 1, 1));
        out[o + 2] = Math.floor((255 * (x + y)) / Math.max(W + H - 2, 1));
      }
    }
  } else throw new Error(`unknown variant ${c.variant}`);
  return out;
}

const SETTINGS: Record<string, ScaleArgs> = {
  pillow_default: { short_size: 256 },
  cv2_fixed_round: { short_size: 256, fixed_ratio: true, do_round: true, backend: 'cv2' },
};

describe('Scale against PaddleVideo\'s outputs', needsShared(CASES), () => {
  const cases = JSON.parse(readFileSync(CASES, 'utf8'));

  test('golden settings are the ones we apply', () => {
    assert.deepEqual(Object.keys(cases.settings).sort(), Object.keys(SETTINGS).sort());
    assert.equal(cases.settings.pillow_default, 'Scale(256)');
    assert.equal(cases.settings.cv2_fixed_round, "Scale(256, fixed_ratio=True, do_round=True, backend='cv2')");
  });

  for (const backend of Object.keys(SETTINGS)) {
    test(`Scale ${backend}: every golden case within ±1 and >= 99.9% identical (bit-exact achieved)`, () => {
      const args = checkScaleArgs(SETTINGS[backend]!);
      let total = 0;
      let same = 0;
      for (const c of cases.cases) {
        const input = makeInput(c);
        assert.equal(sha256(input), c.input_sha256, `${c.name}: regenerated input`);
        const o = c.outputs[backend];
        const img = { data: input, width: c.input_W, height: c.input_H };
        const out = scaleImage(args, img);
        assert.ok(!isView(out), `${c.name}: without a crop window Scale gives a whole image`);
        assert.deepEqual([out.height, out.width], [o.output_H, o.output_W], c.name);
        if (o.unchanged_input) {
          assert.equal(o.file, null);
          assert.equal(out, img, `${c.name}: returned unchanged`);
          assert.equal(sha256(out.data), o.sha256);
          continue;
        }
        const g = readNpy(readFileSync(goldenFile(o.file)), o.file);
        assert.deepEqual(g.dims, [o.output_H, o.output_W, 3]);
        let caseSame = 0;
        for (let i = 0; i < g.data.length; i++) {
          const d = Math.abs(g.data[i]! - out.data[i]!);
          assert.ok(d <= 1, `${c.name}: value ${i} differs by ${d}`);
          if (d === 0) caseSame++;
        }
        assert.ok(caseSame / g.data.length >= 0.999, `${c.name}: ${caseSame}/${g.data.length} identical`);
        total += g.data.length;
        same += caseSame;
        assert.equal(sha256(out.data), o.sha256, `${c.name}: bit-exact`);
      }
      console.log(`Scale ${backend}: ${((100 * same) / total).toFixed(4)}% identical over ${total} values`);
    });
  }
});

test('Scale output sizes follow augmentations.py (fixed_ratio, keep_ratio, do_round)', () => {
  const size = (a: ScaleArgs, w: number, h: number) => scaleSize(checkScaleArgs(a), w, h);
  assert.deepEqual(size({ short_size: 256 }, 320, 240), [341, 256]);
  assert.deepEqual(size({ short_size: 256 }, 300, 300), [256, 341]);
  assert.equal(size({ short_size: 256 }, 455, 256), undefined);
  assert.deepEqual(size({ short_size: 256, fixed_ratio: false }, 640, 360), [455, 256]);
  assert.deepEqual(size({ short_size: 256, fixed_ratio: false, do_round: true }, 641, 360), [456, 256]);
  assert.deepEqual(size({ short_size: 256, fixed_ratio: false }, 360, 641), [256, 455]);
  assert.deepEqual(size({ short_size: 256, fixed_ratio: false, keep_ratio: false }, 640, 360), [256, 256]);
  assert.throws(() => checkScaleArgs({ short_size: 256, keep_ratio: true }), /cannot be true at the same time/);
  assert.throws(() => checkScaleArgs({ short_size: 256, backend: 'x' as 'cv2' }), /backend/);
});

test('resize edge cases: identity, 1-pixel sources, exact 2x downscale (cv2 INTER_AREA path)', () => {
  const img = { data: Uint8Array.from({ length: 4 * 2 * 3 }, (_, i) => (i * 37) % 256), width: 4, height: 2 };
  assert.deepEqual(cv2ResizeLinear(img, 4, 2).data, img.data);
  assert.deepEqual(pillowResizeBilinear(img, 4, 2).data, img.data);
  const half = cv2ResizeLinear(img, 2, 1);
  const s = img.data;
  // (a + b + c + d + 2) >> 2 over each 2x2 block, per channel.
  assert.equal(half.data[0], (s[0]! + s[3]! + s[12]! + s[15]! + 2) >> 2);
  assert.equal(half.data[5], (s[8]! + s[11]! + s[20]! + s[23]! + 2) >> 2);
  const dot = { data: new Uint8Array([10, 20, 30]), width: 1, height: 1 };
  for (const r of [cv2ResizeLinear(dot, 5, 3), pillowResizeBilinear(dot, 5, 3)]) {
    for (let i = 0; i < 15; i++) assert.equal(r.data[i * 3 + 1], 20);
  }
});

test('crops: CenterCrop rounds half to even, TenCrop order and PIL zero padding', () => {
  assert.equal(pyRound(58.5), 58);
  assert.equal(pyRound(59.5), 60);
  assert.equal(pyRound(16), 16);
  const W = 341;
  const H = 256;
  const data = new Uint8Array(W * H * 3);
  for (let i = 0; i < W * H; i++) data.set([i % 256, (i >> 8) % 256, 7], i * 3);
  const img = { data, width: W, height: H };
  const [cc] = centerCrop({ target_size: 224 }, [img]);
  assert.deepEqual(materialize(cc!).data, crop(img, 58, 16, 224, 224).data);
  assert.deepEqual(materialize(centerCrop({ target_size: 224, do_round: false }, [img])[0]!).data, crop(img, 58, 16, 224, 224).data);
  const tc = tenCrop({ target_size: 224 }, [img, img]);
  assert.equal(tc.length, 20);
  // w_step = (341-224)//4 = 29, h_step = 8: bottom-right origin (116, 32), center (58, 16).
  assert.deepEqual(materialize(tc[3 * 4]!).data, crop(img, 116, 32, 224, 224).data);
  assert.deepEqual(materialize(tc[4 * 4 + 2]!).data, flipLeftRight(crop(img, 58, 16, 224, 224)).data);
  const padded = crop({ data: new Uint8Array([1, 2, 3]), width: 1, height: 1 }, -1, 0, 2, 1);
  assert.deepEqual([...padded.data], [0, 0, 0, 1, 2, 3]);
  // Views compose like copies: crop of a mirrored crop, mirror of a mirror.
  const m = flipView(cropView(img, 10, 20, 100, 50));
  assert.deepEqual(materialize(cropView(m, 7, 3, 30, 40)).data, crop(flipLeftRight(crop(img, 10, 20, 100, 50)), 7, 3, 30, 40).data);
  assert.deepEqual(materialize(flipView(m)).data, crop(img, 10, 20, 100, 50).data);
});

test('resizing a window equals resizing everything then cropping (both backends, all code paths)', () => {
  const src = (w: number, h: number) => ({ data: Uint8Array.from({ length: w * h * 3 }, (_, i) => (Math.imul(i, 2654435761) >>> 23) & 255), width: w, height: h });
  // [input w, h] -> [output w, h]: up/down scaling, one axis unchanged (Pillow skips that pass), exact 2x (cv2 area).
  const cases: [number, number, number, number][] = [
    [320, 240, 341, 256], [1280, 720, 341, 256], [23, 17, 341, 256], [300, 200, 300, 256], [300, 200, 150, 200], [682, 512, 341, 256],
  ];
  for (const [sw, sh, dw, dh] of cases) {
    const img = src(sw, sh);
    for (const win of [{ x: 58, y: 16, width: 224, height: 224 }, { x: 0, y: 0, width: dw, height: dh }, { x: dw - 5, y: dh - 3, width: 5, height: 3 }]) {
      if (win.x + win.width > dw || win.y + win.height > dh) continue;
      for (const resize of [cv2ResizeLinear, pillowResizeBilinear]) {
        const full = resize(img, dw, dh);
        const part = resize(img, dw, dh, win);
        assert.deepEqual(part.data, crop(full, win.x, win.y, win.width, win.height).data, `${resize.name} ${sw}x${sh}->${dw}x${dh} window ${JSON.stringify(win)}`);
      }
    }
  }
  assert.throws(() => cv2ResizeLinear(src(4, 4), 8, 8, { x: 4, y: 0, width: 5, height: 1 }), /outside the 8x8 image/);
});
