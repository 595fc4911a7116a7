// A bench worker thread: one onnxruntime session (through src/runtime/session.ts, the server's own adapter) that
// runs the model on a fixed input when asked and reports each run's wall time. session.run is synchronous in
// onnxruntime-node, so parallel runs need one thread each, as in the server.
import { parentPort, workerData } from 'node:worker_threads';
import { readFile } from 'node:fs/promises';
import { createSession, type SessionOptions } from '../../src/runtime/session.ts';
import { warmupInput } from '../../src/serving/warmup.ts';

export interface OrtWorkerInit {
  onnxPath: string;
  session: Omit<SessionOptions, 'onWarning'>;
}
export type OrtWorkerTask = { kind: 'run'; count: number; dims: number[] };
export type OrtWorkerReply = { kind: 'ready'; inputName: string; outputName: string } | { kind: 'done'; times: number[] } | { kind: 'error'; message: string };

const init = workerData as OrtWorkerInit;
const port = parentPort!;

// The server's own warm-up input, built once per shape: building it (~9 ms) inside a task would be timed with it.
const inputs = new Map<string, Float32Array>();
function inputFor(dims: number[]): Float32Array {
  const key = dims.join('x');
  let data = inputs.get(key);
  if (!data) inputs.set(key, (data = warmupInput(dims)));
  return data;
}

async function main(): Promise<void> {
  const session = await createSession(new Uint8Array(await readFile(init.onnxPath)), init.session);
  const inputName = session.inputNames[0]!;
  const outputName = session.outputNames[0]!;
  port.postMessage({ kind: 'ready', inputName, outputName } satisfies OrtWorkerReply);
  port.on('message', (task: OrtWorkerTask | { kind: 'close' }) => {
    if (task.kind === 'close') {
      void session.release().finally(() => port.close());
      return;
    }
    void (async () => {
      const data = inputFor(task.dims);
      const times: number[] = [];
      for (let i = 0; i < task.count; i++) {
        const t0 = performance.now();
        const out = await session.run({ [inputName]: { data, dims: task.dims } }, [outputName]);
        times.push(performance.now() - t0);
        if (!out[outputName]) throw new Error(`no output ${outputName}`);
      }
      port.postMessage({ kind: 'done', times } satisfies OrtWorkerReply);
    })().catch((e: Error) => port.postMessage({ kind: 'error', message: e.stack ?? e.message } satisfies OrtWorkerReply));
  });
}

main().catch((e: Error) => port.postMessage({ kind: 'error', message: e.stack ?? e.message } satisfies OrtWorkerReply));
