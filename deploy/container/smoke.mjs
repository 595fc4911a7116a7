// Sends one video to a running vidserve over Open Inference Protocol v2 REST (binary tensor data), v2 gRPC
// (raw_input_contents; a client generated from src/protocol/grpc_predict_v2.proto) and Paddle Serving's HTTP route;
// prints one line per answer and exits non-zero unless all three answer the same label.
// Usage: node deploy/container/smoke.mjs <http port> <rpc port> <video file> [model name]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const [httpPort, rpcPort, file, model = 'video'] = process.argv.slice(2);
if (!httpPort || !rpcPort || !file) {
  console.error('usage: smoke.mjs <http port> <rpc port> <video file> [model name]');
  process.exit(2);
}
const video = readFileSync(file);
const element = Buffer.concat([Buffer.from(Uint32Array.of(video.length).buffer), video]); // uint32 LE length + bytes

async function rest() {
  const header = Buffer.from(JSON.stringify({
    inputs: [{ name: 'video', shape: [1], datatype: 'BYTES', parameters: { binary_data_size: element.length } }],
  }));
  const r = await fetch(`http://127.0.0.1:${httpPort}/v2/models/${model}/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.length) },
    body: Buffer.concat([header, element]),
  });
  const body = await r.json();
  if (r.status !== 200) throw new Error(`v2 REST: HTTP ${r.status} ${JSON.stringify(body)}`);
  const get = (n) => body.outputs.find((o) => o.name === n).data[0];
  return { label: get('label'), prob: get('prob') };
}

async function rpc() {
  const proto = fileURLToPath(new URL('../../src/protocol/grpc_predict_v2.proto', import.meta.url));
  const pkg = grpc.loadPackageDefinition(protoLoader.loadSync(proto, { keepCase: true, longs: Number, defaults: true }));
  const client = new pkg.inference.GRPCInferenceService(`127.0.0.1:${rpcPort}`, grpc.credentials.createInsecure());
  try {
    const r = await new Promise((resolve, reject) =>
      client.ModelInfer({ model_name: model, inputs: [{ name: 'video', datatype: 'BYTES', shape: [1] }], raw_input_contents: [element] }, (e, res) => (e ? reject(e) : resolve(res))),
    );
    const [label, prob] = r.raw_output_contents;
    return { label: label.subarray(4, 4 + label.readUInt32LE(0)).toString(), prob: prob.readFloatLE(0) };
  } finally {
    client.close();
  }
}

async function paddle() {
  const r = await fetch(`http://127.0.0.1:${httpPort}/video/prediction`, { method: 'POST', body: JSON.stringify({ key: ['video'], value: [video.toString('base64')] }) });
  const body = await r.json();
  if (body.err_no !== 0) throw new Error(`Paddle HTTP: ${JSON.stringify(body)}`);
  return { label: body.value[0].replace(/^\['|'\]$/g, ''), prob: Number(body.value[1].slice(1, -1)) };
}

let failed = false;
const answers = [];
for (const [name, send] of [['v2 REST (binary)', rest], ['v2 gRPC (raw)', rpc], ['Paddle HTTP', paddle]]) {
  const t0 = performance.now();
  try {
    const a = await send();
    answers.push(a);
    console.log(`${name.padEnd(18)} label=${a.label} prob=${a.prob} (${Math.round(performance.now() - t0)} ms)`);
  } catch (e) {
    failed = true;
    console.log(`${name.padEnd(18)} FAILED: ${e.message}`);
  }
}
if (!failed && new Set(answers.map((a) => a.label)).size !== 1) {
  failed = true;
  console.log('the protocols disagree on the label');
}
process.exit(failed ? 1 : 0);
