// The proto we ship must have Paddle Serving's package, service, method and field numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import protobuf from 'protobufjs';
import { PROTO_PATH, pipelineServiceDefinition } from '../src/protocol/proto.ts';
import { PIPELINE_METHOD_PATH } from '../src/protocol/types.ts';

test('pipeline_service.proto field numbers match Paddle Serving', async () => {
  const root = new protobuf.Root().loadSync(PROTO_PATH, { keepCase: true });
  const fields = (name: string) =>
    Object.fromEntries(Object.values(root.lookupType(`baidu.paddle_serving.pipeline_serving.${name}`).fields)
      .map((f) => [f.name, `${f.id}:${f.repeated ? 'repeated ' : ''}${f.type}`]));
  assert.deepEqual(fields('Request'), {
    key: '1:repeated string', value: '2:repeated string', tensors: '3:repeated Tensor', name: '4:string',
    method: '5:string', logid: '6:int64', clientip: '7:string',
  });
  assert.deepEqual(fields('Response'), {
    err_no: '1:int32', err_msg: '2:string', key: '3:repeated string', value: '4:repeated string',
    tensors: '5:repeated Tensor',
  });
  assert.deepEqual(fields('Tensor'), {
    int64_data: '1:repeated int64', float_data: '2:repeated float', int_data: '3:repeated int32',
    float64_data: '4:repeated double', uint32_data: '5:repeated uint32', bool_data: '6:repeated bool',
    complex64_data: '7:repeated float', complex128_data: '8:repeated double', str_data: '9:repeated string',
    byte_data: '10:bytes', elem_type: '20:int32', shape: '21:repeated int32', lod: '22:repeated int32',
    name: '23:string',
  });
  const svc = pipelineServiceDefinition();
  assert.equal(svc.inference!.path, PIPELINE_METHOD_PATH);
  assert.equal(PIPELINE_METHOD_PATH, '/baidu.paddle_serving.pipeline_serving.PipelineService/inference');
});
