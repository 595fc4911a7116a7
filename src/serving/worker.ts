// One worker thread of the serving pool. Two roles:
//  - 'prepare': request bytes → parsed Request → base64/video decode → PaddleVideo preprocessing → input tensor;
//  - 'infer':   input tensor → onnxruntime session run → score tensor (the session lives here, one per worker).
// Heavy payloads arrive and leave as transferred ArrayBuffers; nothing big is copied between threads.
import { parentPort, workerData } from 'node:worker_threads';
import { ErrorCode, inputError, toServingError } from '../errors.ts';
import { readJsonRequest, readProtoRequest, decodeRequest, type DecodedRequest } from './request.ts';
import { readV2JsonRequest, readV2ProtoRequest } from './v2-request.ts';
import { preprocessInput, resolvePipeline, type PipelineSpec } from './preprocess.ts';
import { sampleIndices } from '../video/pipelines.ts';
import { useSpawnerProcess } from '../video/ffmpeg.ts';
import { modelInputImages } from '../video/seen.ts';
import { encodePng } from '../video/png.ts';
import type { FloatTensor } from '../tensor.ts';
import type { WorkerInit, WorkerReply, WorkerTask, PrepareResult, InferResult } from './messages.ts';
import { DEFAULT_LONG_CONF } from './long-config.ts';
import { streamWindows, withLocalInput, type TimelinePartial } from './timeline-worker.ts';

const init = workerData as WorkerInit;
const port = parentPort!;

function fail(id: number, e: unknown, fallbackCode: number): WorkerReply {
  const err = toServingError(e, fallbackCode);
  return { id, ok: false, code: err.code, message: err.message };
}

function readRequest(task: Extract<WorkerTask, { kind: 'prepare' }>, raw: Buffer, pipeline: PipelineSpec, t0: number): DecodedRequest {
  const feed = init.role === 'prepare' ? init.feed : undefined;
  if (task.format === 'v2-json') return readV2JsonRequest(raw, task.headerLength ?? null, feed);
  if (task.format === 'v2-proto') return readV2ProtoRequest(raw, feed);
  const fields = task.format === 'json' ? readJsonRequest(raw) : readProtoRequest(raw);
  // Raw frames: only the frames the Sampler picks are base64-decoded.
  return decodeRequest(fields, performance.now() - t0, { framesWanted: (T) => sampleIndices(pipeline, T) });
}

/** A running prepare task's way back to the main thread before its final reply (timelines). */
interface TaskChannel {
  post(p: TimelinePartial): void;
  /** Resolves on the main thread's next credit (credits that came earlier count). */
  credit(): Promise<void>;
}

async function prepare(task: Extract<WorkerTask, { kind: 'prepare' }>, pipeline: PipelineSpec, signal: AbortSignal, chan: TaskChannel): Promise<{ reply: WorkerReply; transfer: ArrayBuffer[] }> {
  const t0 = performance.now();
  const raw = Buffer.from(task.raw.buffer, task.raw.byteOffset, task.raw.byteLength);
  const req = readRequest(task, raw, pipeline, t0);
  const long = init.role === 'prepare' && init.long ? init.long : DEFAULT_LONG_CONF;
  const { timeline, timeoutMs } = req.meta;
  if (timeoutMs !== undefined && timeoutMs > long.timeline.maxTimeoutMs)
    throw inputError(`"timeout_ms" ${timeoutMs} is more than this server allows (timeline.max_timeout_ms ${long.timeline.maxTimeoutMs})`);
  if (timeline && (req.input.kind === 'frames' || req.input.kind === 'tensor'))
    throw inputError('a timeline ("window") needs a compressed video ("video", "video_path" or "video_url"): raw frames and tensors carry no timestamps');
  // The main thread learns the request's own deadline, and that windows are coming, before the slow part.
  if (timeline || timeoutMs !== undefined) chan.post({ type: 'start', timeoutMs, timeline: timeline !== undefined, topk: req.meta.topk });
  return withLocalInput(req.input, long.sources, signal, async (input) => {
    const parsed = { parse: req.timings.parse, base64: req.timings.base64 };
    if (timeline) {
      if (input.kind === 'frames' || input.kind === 'url' || input.kind === 'tensor') throw new Error(`unexpected ${input.kind} input for a timeline`);
      let decode = 0;
      let preprocess = 0;
      const summary = await streamWindows(pipeline, input.kind === 'path' ? input.path : input.bytes, {
        params: timeline,
        conf: long.timeline,
        signal,
        post: (p) => {
          if (p.type === 'windows') {
            decode += p.decodeMs;
            preprocess += p.preprocessMs;
          }
          chan.post(p);
        },
        credit: chan.credit,
      });
      const result: PrepareResult = { meta: req.meta, input: new Float32Array(0), dims: [], timings: { ...parsed, decode, preprocess }, timeline: summary };
      return { reply: { id: task.id, ok: true, result }, transfer: [] };
    }
    const pre = await preprocessInput(pipeline, input, signal);
    const result: PrepareResult = {
      meta: req.meta,
      input: pre.tensor.data,
      dims: pre.tensor.dims,
      timings: { ...parsed, decode: pre.decodeMs, preprocess: pre.preprocessMs },
    };
    if (req.meta.framesSeen) result.framesSeen = framesSeen(pipeline, pre.tensor);
    const pngs = result.framesSeen?.images.map((f) => f.png.buffer as ArrayBuffer) ?? [];
    return { reply: { id: task.id, ok: true, result }, transfer: [pre.tensor.data.buffer as ArrayBuffer, ...pngs] };
  });
}

/** The model input [1, ...] back as PNG images (the request's `frames_seen`). */
function framesSeen(pipeline: PipelineSpec, tensor: FloatTensor): NonNullable<PrepareResult['framesSeen']> {
  const t0 = performance.now();
  const images = modelInputImages(pipeline, { data: tensor.data, dims: tensor.dims.slice(1) }).map((img) => ({
    png: encodePng(img),
    width: img.width,
    height: img.height,
  }));
  return { images, ms: performance.now() - t0 };
}

async function main(): Promise<void> {
  if (init.role === 'prepare') {
    // Resolved once: every request of this worker runs the same pipeline.
    const pipeline = resolvePipeline(init.pipeline);
    const long = (init.long ?? DEFAULT_LONG_CONF).timeline;
    // This process holds the model sessions (~1 GB): start ffmpeg from a small helper instead (see spawner.ts).
    useSpawnerProcess();
    port.postMessage({ ready: true });
    const running = new Map<number, AbortController>();
    const credits = new Map<number, { given: number; wake: (() => void) | null }>();
    port.on('message', (task: WorkerTask) => {
      if (task.kind === 'abort') {
        running.get(task.id)?.abort();
        return;
      }
      if (task.kind === 'credit') {
        const c = credits.get(task.id);
        if (!c) return;
        c.given++;
        c.wake?.();
        return;
      }
      if (task.kind !== 'prepare' && task.kind !== 'stream') return;
      const ac = new AbortController();
      running.set(task.id, ac);
      const credit = { given: 0, wake: null as (() => void) | null };
      credits.set(task.id, credit);
      ac.signal.addEventListener('abort', () => credit.wake?.(), { once: true });
      const chan: TaskChannel = {
        post: (p) => port.postMessage({ id: task.id, partial: p } satisfies WorkerReply, p.type === 'windows' ? [p.input.buffer as ArrayBuffer] : []),
        credit: async () => {
          while (credit.given === 0) {
            ac.signal.throwIfAborted();
            await new Promise<void>((resolve) => (credit.wake = resolve));
            credit.wake = null;
          }
          credit.given--;
        },
      };
      const done =
        task.kind === 'stream'
          ? streamWindows(pipeline, task.source, { params: task, conf: { ...long, maxWindows: Infinity }, signal: ac.signal, post: chan.post, credit: chan.credit, batch: 1, readTimeoutMs: task.readTimeoutMs }).then(
              (result) => port.postMessage({ id: task.id, ok: true, result } satisfies WorkerReply),
              (e) => port.postMessage(fail(task.id, e, ErrorCode.INPUT_PARAMS_ERROR)),
            )
          : (() => {
              // The request buffer goes back once the work is done (parsed values may be views of it until then).
              const returned = task.raw.buffer as ArrayBuffer;
              return prepare(task, pipeline, ac.signal, chan).then(
                ({ reply, transfer }) => port.postMessage({ ...reply, returned }, [...transfer, returned]),
                (e) => port.postMessage({ ...fail(task.id, e, ErrorCode.INPUT_PARAMS_ERROR), returned }, [returned]),
              );
            })();
      done
        .finally(() => {
          running.delete(task.id);
          credits.delete(task.id);
        });
    });
    return;
  }

  const { createSession } = await import('../runtime/session.ts');
  let session: Awaited<ReturnType<typeof createSession>>;
  const warnings: string[] = [];
  try {
    session = await createSession(init.model, { ...init.session, onWarning: (m: string) => warnings.push(m) });
  } catch (e) {
    port.postMessage({ ready: false, error: (e as Error).message });
    return;
  }
  // The session owns the model now; let bytes we were given (a model translated in memory) be collected.
  if (typeof init.model !== 'string') (init as { model?: Uint8Array }).model = undefined;
  port.postMessage({ ready: true, provider: session.provider, inputNames: session.inputNames, outputNames: session.outputNames, warnings });
  // Runs one at a time, in arrival order. The pool may post the next task while one runs (depth 2): it then starts
  // as soon as the run ends, without a round trip through the main thread.
  const waiting: Extract<WorkerTask, { kind: 'infer' }>[] = [];
  let running = false;
  let closing = false;
  // Release the session and let the thread end by itself (see WorkerGroup.stop), never in the middle of a run.
  const finish = async (): Promise<void> => {
    try {
      await session.release();
    } finally {
      port.close();
    }
  };
  const next = async (): Promise<void> => {
    if (running) return;
    running = true;
    for (let task = waiting.shift(); task; task = waiting.shift()) {
      const t0 = performance.now();
      try {
        const out = await session.run({ [init.feedName]: { data: task.input, dims: task.dims } }, [init.fetchName]);
        const scores = out[init.fetchName];
        if (!scores) throw new Error(`the model produced no output named ${init.fetchName}`);
        // Scores are small: copy them out of the runtime's buffer rather than detach memory it may own.
        const data = Float32Array.from(scores.data as ArrayLike<number>);
        const result: InferResult = { scores: data, dims: scores.dims, inferMs: performance.now() - t0 };
        port.postMessage({ id: task.id, ok: true, result } satisfies WorkerReply, [data.buffer as ArrayBuffer]);
      } catch (e) {
        port.postMessage(fail(task.id, e, ErrorCode.MODEL_INFERENCE_ERROR));
      }
    }
    running = false;
    if (closing) await finish();
  };
  port.on('message', (task: WorkerTask) => {
    if (task.kind === 'close') {
      closing = true;
      for (const t of waiting.splice(0)) port.postMessage({ id: t.id, ok: false, code: ErrorCode.CLOSED_ERROR, message: 'server is shutting down' } satisfies WorkerReply);
      if (!running) void finish();
      return;
    }
    if (task.kind === 'abort') {
      // A task still waiting here is dropped (its request timed out); a running one completes.
      const i = waiting.findIndex((t) => t.id === task.id);
      if (i >= 0) {
        waiting.splice(i, 1);
        port.postMessage({ id: task.id, ok: false, code: ErrorCode.TIMEOUT, message: 'cancelled before inference' } satisfies WorkerReply);
      }
      return;
    }
    if (task.kind !== 'infer') return;
    if (closing) {
      port.postMessage({ id: task.id, ok: false, code: ErrorCode.CLOSED_ERROR, message: 'server is shutting down' } satisfies WorkerReply);
      return;
    }
    waiting.push(task);
    void next();
  });
}

main().catch((e) => port.postMessage({ ready: false, error: (e as Error).stack ?? String(e) }));
