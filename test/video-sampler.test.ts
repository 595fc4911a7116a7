// PaddleVideo's Sampler: indices for every frames_len in ../shared/golden/sampler_indices.json, and its failure cases.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ServingError } from '../src/errors.ts';
import { samplerIndices } from '../src/video/sampler.ts';
import { PIPELINES, getPipeline, pipelineSampler, sampleIndices } from '../src/video/pipelines.ts';
import { goldenFile, needsShared } from './support/shared.ts';

const GOLDEN = goldenFile('sampler_indices.json');

describe('Sampler against PaddleVideo\'s indices', needsShared(GOLDEN), () => {
  const golden = JSON.parse(readFileSync(GOLDEN, 'utf8'));

  for (const model of ['PPTSM', 'PPTSN'] as const) {
    test(`${model} Sampler picks PaddleVideo's indices for frames_len 1..300, 301, 500, 1000`, () => {
      const g = golden[model];
      // The predefined pipeline carries exactly the arguments golden was made with.
      assert.deepEqual(pipelineSampler(PIPELINES[model]!), g.sampler_args);
      let checked = 0;
      for (const n of golden.frames_len_values as number[]) {
        const expected = g.indices[String(n)];
        if (expected) {
          assert.deepEqual(sampleIndices(PIPELINES[model]!, n), expected, `frames_len ${n}`);
          checked++;
        } else {
          assert.ok(g.errors[String(n)], `golden has neither indices nor error for ${n}`);
          assert.throws(
            () => sampleIndices(PIPELINES[model]!, n),
            (e: unknown) => e instanceof ServingError && e.code === 5000 && /too short/.test(e.message) && e.message.includes(`${n} frames`),
            `frames_len ${n}`,
          );
        }
      }
      assert.equal(checked + Object.keys(g.errors).length, golden.frames_len_values.length);
    });
  }

  test('PPTSN fails exactly for frames_len 1..25, as PaddleVideo does', () => {
    assert.deepEqual(Object.keys(golden.PPTSN.errors).map(Number), Array.from({ length: 25 }, (_, i) => i + 1));
    for (const e of Object.values<any>(golden.PPTSN.errors)) assert.match(e.exception, /^IndexError/);
    assert.deepEqual(Object.keys(golden.PPTSM.errors), []);
  });
});

test('dense_sample and linspace_sample follow sample.py', () => {
  // dense: 10 clips starting at linspace(0, sample_pos-1, 10) floored, stride 64 // num_seg, 1-based offsets.
  const dense = samplerIndices({ num_seg: 8, seg_len: 1, valid_mode: true, dense_sample: true }, 200);
  assert.equal(dense.length, 80);
  assert.deepEqual(dense.slice(0, 8), [1, 9, 17, 25, 33, 41, 49, 57]);
  // sample_pos = 137, start_list = floor(linspace(0, 136, 10)) -> 2nd start = floor(15.11) = 15
  assert.deepEqual(dense.slice(8, 16), [16, 24, 32, 40, 48, 56, 64, 72]);
  assert.equal(dense[79], 136 + 56 + 1);
  // With the 1-based offsets, index frames_len itself is out of range in PaddleVideo too.
  assert.throws(() => samplerIndices({ num_seg: 8, seg_len: 1, valid_mode: true, dense_sample: true }, 57), /IndexError/);
  // linspace: np.linspace(0, n-1, num_seg) clipped and truncated.
  assert.deepEqual(samplerIndices({ num_seg: 5, seg_len: 1, valid_mode: true, linspace_sample: true }, 10), [0, 2, 4, 6, 9]);
  assert.deepEqual(samplerIndices({ num_seg: 4, seg_len: 1, valid_mode: true, linspace_sample: true }, 1), [0, 0, 0, 0]);
  // seg_len > 1: consecutive frames per segment from (average_dur - 1) // 2, or i * average_dur when short; modulo frames_len.
  assert.deepEqual(samplerIndices({ num_seg: 2, seg_len: 3, valid_mode: true }, 4), [0, 1, 2, 2, 3, 0]);
  assert.deepEqual(samplerIndices({ num_seg: 2, seg_len: 2, valid_mode: true }, 10), [2, 3, 7, 8]);
});

test('Sampler rejects what serving cannot reproduce, with clear messages', () => {
  assert.throws(() => samplerIndices({ num_seg: 8, seg_len: 1 }, 100), /valid_mode/);
  assert.throws(() => samplerIndices({ num_seg: 8, seg_len: 1, valid_mode: true, frame_interval: 2 }, 100), /frame_interval/);
  assert.throws(() => samplerIndices({ num_seg: 0, seg_len: 1, valid_mode: true }, 100), /num_seg/);
  assert.throws(() => samplerIndices({ num_seg: 8, seg_len: 1, valid_mode: true }, 0), /no frames/);
});

test('getPipeline is case-insensitive and lists known pipelines on error', () => {
  assert.equal(getPipeline('pptsm'), PIPELINES.PPTSM);
  assert.equal(getPipeline('PpTsN'), PIPELINES.PPTSN);
  assert.throws(() => getPipeline('TSM'), /unknown model name 'TSM'.*PPTSM, PPTSN/);
});
