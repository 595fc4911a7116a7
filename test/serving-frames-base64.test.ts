// Raw-frames requests: only the Sampler's frames are base64-decoded; the answer must not change (bit-identical
// network input), and a shape/length mismatch or bad base64 in a decoded frame still answers 5000.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ServingError } from '../src/errors.ts';
import { decodeFramesBase64, decodeRequest, readJsonRequest, readProtoRequest, type OpInput } from '../src/serving/request.ts';
import { getPipeline, preprocessFrames, sampleIndices } from '../src/video/pipelines.ts';
import { preprocessInput } from '../src/serving/preprocess.ts';
import type { RgbImage } from '../src/video/transforms/image.ts';
import protobuf from 'protobufjs';
import { PROTO_PATH } from '../src/protocol/proto.ts';
import { TINY_PIPELINE, syntheticFrames } from './serving-fixtures.ts';

const jsonBody = (frames: string, shape: string) => Buffer.from(JSON.stringify({ key: ['frames', 'frames_shape'], value: [frames, shape] }));

function protoBody(frames: string, shape: string): Buffer {
  const root = protobuf.loadSync(PROTO_PATH);
  const t = root.lookupType('baidu.paddle_serving.pipeline_serving.Request');
  return Buffer.from(t.encode(t.fromObject({ key: ['frames', 'frames_shape'], value: [frames, shape] })).finish());
}

/** Every frame of a fully decoded input. */
function framesOf(input: OpInput): Uint8Array {
  assert.ok(input.kind === 'frames' && 'frames' in input, 'every frame decoded');
  return input.frames;
}

/** The Sampler's frames of a sampled input, in its order. */
function pickedOf(input: OpInput): RgbImage[] {
  assert.ok(input.kind === 'frames' && 'picked' in input, 'only the picked frames decoded');
  return input.picked;
}

const errorOf = (f: () => unknown): ServingError => {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof ServingError, `expected a ServingError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected an error');
};

for (const [name, spec] of [['PPTSM', getPipeline('PPTSM')], ['tiny', TINY_PIPELINE]] as const) {
  test(`sampled base64 decode gives the same ${name} network input as a full decode (JSON span, JSON escaped string, protobuf)`, async () => {
    const [T, H, W] = [37, 18, 24];
    const raw = syntheticFrames(T, H, W);
    const b64 = Buffer.from(raw).toString('base64');
    const shape = `(${T}, ${H}, ${W}, 3)`;
    const wanted = (n: number) => sampleIndices(spec, n);
    const full = decodeRequest(readJsonRequest(jsonBody(b64, shape)), 0);
    assert.deepEqual(framesOf(full.input), raw);
    const ref = preprocessFrames(spec, { data: raw, T, H, W });
    const bodies = {
      span: readJsonRequest(jsonBody(b64, shape)),
      // "\/" escapes make the parser build a JS string instead of a byte span
      escaped: readJsonRequest(Buffer.from(jsonBody(b64, shape).toString('latin1').replaceAll('/', '\\/'), 'latin1')),
      proto: readProtoRequest(protoBody(b64, shape)),
    };
    for (const [form, fields] of Object.entries(bodies)) {
      const sampled = decodeRequest(fields, 0, { framesWanted: wanted });
      const got = pickedOf(sampled.input);
      const fb = H * W * 3;
      assert.equal(got.length, wanted(T).length);
      wanted(T).forEach((i, k) => {
        assert.deepEqual([got[k]!.width, got[k]!.height], [W, H]);
        assert.deepEqual(got[k]!.data, raw.subarray(i * fb, (i + 1) * fb), `${form}: frame ${i}`);
      });
      // Through the op's own preprocessing (src/serving/preprocess.ts), which adds the batch dimension.
      const out = (await preprocessInput(spec, sampled.input)).tensor;
      assert.deepEqual(out.dims, [1, ...ref.dims]);
      assert.ok(Buffer.from(out.data.buffer, out.data.byteOffset, out.data.byteLength).equals(Buffer.from(ref.data.buffer, ref.data.byteOffset, ref.data.byteLength)), `${form}: bit-identical input`);
    }
  });
}

test('frames length must match frames_shape exactly: 5000 with both sizes named', () => {
  const [T, H, W] = [5, 4, 6];
  const raw = syntheticFrames(T, H, W);
  const b64 = Buffer.from(raw).toString('base64');
  const wanted = { framesWanted: (n: number) => [0, n - 1] };
  const cases: Array<[string, string, string]> = [
    ['one frame short', Buffer.from(raw.subarray(0, raw.length - H * W * 3)).toString('base64'), `(${T}, ${H}, ${W}, 3)`],
    ['one byte short (padded)', Buffer.from(raw.subarray(0, raw.length - 1)).toString('base64'), `(${T}, ${H}, ${W}, 3)`],
    ['extra characters', b64 + 'AAAA', `(${T}, ${H}, ${W}, 3)`],
    ['shape says more frames', b64, `(${T + 1}, ${H}, ${W}, 3)`],
    ['shape says fewer', b64, `(${T}, ${H}, ${W - 1}, 3)`],
  ];
  for (const [what, frames, shape] of cases) {
    for (const opts of [{}, wanted]) {
      const e = errorOf(() => decodeRequest(readJsonRequest(jsonBody(frames, shape)), 0, opts));
      assert.equal(e.code, 5000, what);
      assert.match(e.message, /"frames_shape" \(.*\) needs \d+ bytes \(\d+ base64 characters\) but "frames" has \d+ characters.* \((about )?\d+ bytes\)/, what);
    }
  }
});

test('bad base64 inside a decoded frame is an error; inside a skipped frame it is not decoded', () => {
  const [T, H, W] = [4, 2, 2];
  const raw = syntheticFrames(T, H, W);
  const b64 = Buffer.from(raw).toString('base64');
  const fc = H * W * 4;
  const corrupt = (frame: number, ch: string) => b64.slice(0, frame * fc + 3) + ch + b64.slice(frame * fc + 4);
  const shape = `(${T}, ${H}, ${W}, 3)`;
  const opts = { framesWanted: () => [1, 3] };
  for (const ch of ['!', '=', ' ', '*']) {
    const e = errorOf(() => decodeRequest(readJsonRequest(jsonBody(corrupt(3, ch), shape)), 0, opts));
    assert.equal(e.code, 5000);
    assert.match(e.message, /"frames" is not valid base64 in frame 3/);
    // without sampling (full decode) it is rejected too
    assert.equal(errorOf(() => decodeRequest(readJsonRequest(jsonBody(corrupt(3, ch), shape)), 0)).code, 5000);
  }
  // A 2-byte UTF-8 character changes the byte length: the length check catches it.
  assert.match(errorOf(() => decodeRequest(readJsonRequest(jsonBody(corrupt(3, '\u00e9'), shape)), 0, opts)).message, /needs \d+ bytes|not valid base64 in frame 3/);
  // ASCII junk in frame 0 (never sampled here) is not looked at, like the seed's lenient b64decode.
  const got = pickedOf(decodeRequest(readJsonRequest(jsonBody(corrupt(0, '!'), shape)), 0, opts).input);
  const fb = H * W * 3;
  assert.deepEqual(got.map((f) => f.data), [raw.subarray(fb, 2 * fb), raw.subarray(3 * fb, 4 * fb)]);
  assert.equal(got[0]!.data.buffer.byteLength, 2 * fb, 'skipped frames take no memory');
});

test('decodeFramesBase64 decodes repeated indices once, keeps the order, and refuses indices outside [0, T)', () => {
  const raw = syntheticFrames(3, 1, 4);
  const b64 = Buffer.from(raw).toString('base64');
  const out = decodeFramesBase64(b64, [3, 1, 4, 3], [2, 2, 0]);
  assert.deepEqual(out.map((f) => f.data), [raw.subarray(24), raw.subarray(24), raw.subarray(0, 12)]);
  assert.equal(out[0]!.data.byteOffset, out[1]!.data.byteOffset, 'a repeated index shares its frame');
  assert.equal(out[0]!.data.buffer.byteLength, 24, 'two distinct frames: two frames of memory');
  assert.throws(() => decodeFramesBase64(b64, [3, 1, 4, 3], [3]), /sampler picked frame 3 of 3/);
});

test('decodeBase64 over many chunks equals a one-shot decode, and a bad character anywhere answers 5000', async () => {
  const { decodeBase64 } = await import('../src/serving/request.ts');
  const { ByteSpan } = await import('../src/serving/jsonbody.ts');
  // 300 002 bytes: ~400 K characters (a dozen 32 K chunks) ending in one "=" of padding.
  const raw = syntheticFrames(1, 1, 100_001, 3).subarray(0, 300_002);
  const text = Buffer.from(raw).toString('base64');
  assert.ok(text.endsWith('=') && !text.endsWith('=='));
  const asSpan = (t: string) => {
    const b = Buffer.from(`xx${t}yy`, 'latin1');
    return new ByteSpan(b, 2, b.length - 2);
  };
  for (const v of [text, asSpan(text)]) assert.deepEqual(Buffer.from(decodeBase64(v, 'video')), Buffer.from(raw));
  // Invalid characters and early '=' in the first, a middle and the last chunk.
  for (const at of [5, 32 * 1024 - 1, 32 * 1024, 200_001, text.length - 3]) {
    for (const bad of ['*', '=']) {
      const broken = text.slice(0, at) + bad + text.slice(at + 1);
      for (const v of [broken, asSpan(broken)]) {
        const e = errorOf(() => decodeBase64(v, 'video'));
        assert.equal(e.code, 5000);
        assert.match(e.message, /"video" is not valid base64/);
      }
    }
  }
});
