// serving_*_conf.stream.prototxt against bytes written out by hand from Paddle Serving's schema
// (core/configure/proto/general_model_config.proto, v0.9.0 and develop):
//   GeneralModelConfig { repeated FeedVar feed_var = 1; repeated FetchVar fetch_var = 2; }
//   FeedVar / FetchVar { name = 1; alias_name = 2; is_lod_tensor = 3; feed_type / fetch_type = 4; repeated int32 shape = 5 (proto2: unpacked) }
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeConfig, encodeConfig, type GeneralModelConfig } from '../src/paddle/serving_conf.ts';

const ascii = (s: string): number[] => [...Buffer.from(s, 'latin1')];

// feed_var { name: "x" alias_name: "in" is_lod_tensor: false feed_type: 1 shape: 3 shape: 224 }
const FEED = [
  0x0a, 0x01, ...ascii('x'), // 1: name
  0x12, 0x02, ...ascii('in'), // 2: alias_name
  0x18, 0x00, // 3: is_lod_tensor false
  0x20, 0x01, // 4: feed_type 1 (float32)
  0x28, 0x03, // 5: shape 3
  0x28, 0xe0, 0x01, // 5: shape 224
];
// fetch_var { name: "y" alias_name: "outputs" is_lod_tensor: false fetch_type: 1 shape: 400 }
const FETCH = [
  0x0a, 0x01, ...ascii('y'),
  0x12, 0x07, ...ascii('outputs'),
  0x18, 0x00,
  0x20, 0x01,
  0x28, 0x90, 0x03, // 5: shape 400
];
// feed_var is field 1 (key 0x0a), fetch_var field 2 (key 0x12), both length-delimited.
const BYTES = Uint8Array.from([0x0a, FEED.length, ...FEED, 0x12, FETCH.length, ...FETCH]);

const CONFIG: GeneralModelConfig = {
  feeds: [{ name: 'x', alias: 'in', isLodTensor: false, feedType: 1, shape: [3, 224] }],
  fetches: [{ name: 'y', alias: 'outputs', isLodTensor: false, feedType: 1, shape: [400] }],
};

test('stream conf: our writer gives the bytes Paddle Serving\'s schema gives (feed_var = 1, fetch_var = 2)', () => {
  assert.equal(FEED.length, 16);
  assert.equal(FETCH.length, 19);
  assert.deepEqual([...encodeConfig(CONFIG)], [...BYTES]);
});

test('stream conf: our reader reads what Paddle Serving writes', () => {
  assert.deepEqual(decodeConfig(BYTES, 'serving_server_conf.stream.prototxt'), CONFIG);
  // Several vars of each kind keep their order; a LoD feed (shape -1 as a 10-byte varint) reads back.
  const lod = [0x0a, 0x01, ...ascii('w'), 0x12, 0x01, ...ascii('w'), 0x18, 0x01, 0x20, 0x00, 0x28, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
  const two = Uint8Array.from([0x0a, lod.length, ...lod, ...BYTES]);
  assert.deepEqual(decodeConfig(two, 'x'), {
    feeds: [{ name: 'w', alias: 'w', isLodTensor: true, feedType: 0, shape: [-1] }, CONFIG.feeds[0]],
    fetches: CONFIG.fetches,
  });
  assert.deepEqual([...encodeConfig(decodeConfig(two, 'x'))], [...two]);
});
