// The targeted protobuf Request reader (src/serving/protobody.ts): same fields as protobufjs for every well-formed
// message, long `value` entries as spans of the received buffer (no 40 MB JS string), and junk refused with the
// offset of the first problem (answered 5000 by readProtoRequest).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import protobuf from 'protobufjs';
import { PROTO_PATH } from '../src/protocol/proto.ts';
import { ServingError } from '../src/errors.ts';
import { ByteSpan } from '../src/serving/jsonbody.ts';
import { ProtoBodyError, readRequestMessage } from '../src/serving/protobody.ts';
import { readProtoRequest } from '../src/serving/request.ts';

const root = new protobuf.Root().loadSync(PROTO_PATH, { keepCase: true });
const Request = root.lookupType('baidu.paddle_serving.pipeline_serving.Request');
const encode = (o: Record<string, unknown>) => Buffer.from(Request.encode(Request.fromObject(o)).finish());
const protobufjsView = (b: Buffer) => Request.toObject(Request.decode(b), { longs: String, defaults: true, arrays: true });
const asText = (v: string | ByteSpan) => (typeof v === 'string' ? v : v.toString());

const longB64 = Buffer.alloc(9000, 0xa5).toString('base64');
const messages: Array<Record<string, unknown>> = [
  {},
  { key: ['frames', 'frames_shape'], value: [longB64, '(1, 50, 60, 3)'] },
  { key: ['video', 'topk'], value: [longB64, '3'], logid: '123456789012345', clientip: '10.0.0.1', name: 'ppTSM', method: 'prediction' },
  { key: ['ключ', ''], value: ['значение ✓', ''], logid: '-5' },
  { logid: '9223372036854775807' },
  { logid: '-9223372036854775808', key: ['a'], value: ['b'] },
  {
    tensors: [
      { name: 'frames', elem_type: 7, shape: [1, 2, 2, 3], uint32_data: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255] },
      { name: 'video', elem_type: 13, byte_data: Buffer.from([1, 2, 3, 0, 255]) },
      { name: 'topk', elem_type: 12, str_data: ['2'] },
    ],
  },
];

test('reads every field as protobufjs does; long values stay spans of the message buffer', () => {
  for (const m of messages) {
    const buf = encode(m);
    const want = protobufjsView(buf);
    const got = readRequestMessage(buf);
    assert.deepEqual(got.key, want.key);
    assert.deepEqual(got.value.map(asText), want.value);
    assert.equal(got.logid, want.logid);
    for (const f of ['name', 'method', 'clientip'] as const) assert.equal(got[f], want[f], f);
    assert.deepEqual(JSON.parse(JSON.stringify(got.tensors)), JSON.parse(JSON.stringify(want.tensors)));
    for (const v of got.value) {
      if (v.length >= 4096) {
        assert.ok(v instanceof ByteSpan, 'long value is a span');
        assert.equal(v.buf, buf, 'span of the received buffer, not a copy');
      } else assert.equal(typeof v, 'string');
    }
  }
});

test('unknown fields of every wire type are skipped', () => {
  const base = encode({ key: ['topk'], value: ['2'], logid: '7' });
  const unknown = Buffer.from([
    (10 << 3) | 0, 0x96, 0x01, // varint
    (11 << 3) | 1, 1, 2, 3, 4, 5, 6, 7, 8, // fixed64
    (12 << 3) | 2, 3, 0x61, 0x62, 0x63, // length-delimited
    (13 << 3) | 5, 1, 2, 3, 4, // fixed32
  ]);
  const got = readRequestMessage(Buffer.concat([unknown, base, unknown]));
  assert.deepEqual(got.key, ['topk']);
  assert.deepEqual(got.value, ['2']);
  assert.equal(got.logid, '7');
});

test('junk is refused with where it went wrong; readProtoRequest answers 5000', () => {
  const good = encode({ key: ['frames'], value: ['abcd'] });
  const cases: Array<[string, Buffer, RegExp]> = [
    ['truncated value', good.subarray(0, good.length - 1), /value claims 4 bytes but only 3 remain at byte \d+/],
    ['key with varint wire type', Buffer.from([(1 << 3) | 0, 1]), /field key \(1\) has wire type 0, expected 2/],
    ['logid with length wire type', Buffer.from([(6 << 3) | 2, 0]), /field logid \(6\) has wire type 2, expected 0/],
    ['field number 0', Buffer.from([0x02, 0x00]), /field number 0 at byte 0/],
    ['group wire type', Buffer.from([(9 << 3) | 3]), /field 9 has invalid wire type 3/],
    ['truncated varint', Buffer.from([(6 << 3) | 0, 0xff]), /truncated varint at byte 1/],
    ['varint over 10 bytes', Buffer.from([(6 << 3) | 0, ...Array(10).fill(0xff), 0x01]), /varint longer than 10 bytes/],
    ['huge length', Buffer.from([(2 << 3) | 2, 0xff, 0xff, 0xff, 0xff, 0x0f]), /length of value .* out of range|claims/],
    ['truncated fixed32', Buffer.from([(9 << 3) | 5, 1, 2]), /truncated fixed32 field 9/],
    ['bad nested tensor', Buffer.from([(3 << 3) | 2, 2, 0x0a, 0x05]), /tensors\[0\] is not a valid Tensor message/],
    ['the gRPC junk test bytes', Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]), /out of range|invalid wire type/],
  ];
  for (const [what, bytes, msg] of cases) {
    assert.throws(() => readRequestMessage(bytes), (e: Error) => e instanceof ProtoBodyError && msg.test(e.message), what);
    assert.throws(
      () => readProtoRequest(bytes),
      (e: Error) => e instanceof ServingError && e.code === 5000 && /not a valid pipeline_serving\.Request message/.test(e.message),
      what,
    );
  }
});

test('readProtoRequest accepts a Uint8Array view (not only a Buffer) and keeps spans over the same memory', () => {
  const buf = encode({ key: ['frames', 'frames_shape'], value: [longB64, '(1, 50, 60, 3)'] });
  const ab = new ArrayBuffer(buf.length + 16);
  const view = new Uint8Array(ab, 8, buf.length);
  view.set(buf);
  const f = readProtoRequest(view);
  const v = f.values[0]!;
  assert.ok(v instanceof ByteSpan);
  assert.equal(v.buf.buffer, ab);
  assert.equal(v.toString(), longB64);
});
