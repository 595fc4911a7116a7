// `vidserve predict`: PaddleVideo's tools/predict.py without Python or a server —
//   vidserve predict --input_file V --config C.yaml --model_file M.pdmodel --params_file M.pdiparams [-b N] [--use_gpu False]
// The config's INFERENCE section gives the preprocessing (the serving op's own preprocessInput) and top_k; the model
// runs through the runtime adapter; each video prints as Base_Inference_helper.postprocess prints it:
//   Current video file: example.avi
//   	top-1 class: [5]
//   	top-1 score: [0.9990712]
// --json prints one JSON object per video instead.
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { loadPaddleModel } from '../paddle/convert.ts';
import { translateProgram } from '../paddle/onnx/index.ts';
import { createSession, type ModelSession } from '../runtime/session.ts';
import { LabelMap, parseLabelList, predict } from '../serving/postprocess.ts';
import { preprocessInput } from '../serving/preprocess.ts';
import { pipelineMismatch } from '../serving/pipeline-choice.ts';
import { loadPaddleVideoConfig } from '../video/paddlevideo-config.ts';
import { npFloat32ArrayStr, npIntArrayStr } from './numpy-str.ts';

interface Options {
  input_file: string;
  config: string;
  model_file: string;
  params_file?: string;
  batch_size: number;
  use_gpu: boolean;
  cpu_threads?: number;
  ir_optim: boolean;
  label_list?: string;
  json?: boolean;
  // tools/predict.py's Paddle-engine options (see pythonOnlyNotes).
  precision: Precision;
  use_tensorrt: boolean;
  gpu_mem: number;
  enable_mkldnn: boolean;
  enable_benchmark: boolean;
}

const PRECISIONS = ['fp32', 'fp16', 'int8'] as const;
type Precision = (typeof PRECISIONS)[number];

/** tools/predict.py's str2bool: "true", "t", "1" (any case) are true, everything else false. */
const str2bool = (v: string): boolean => ['true', 't', '1'].includes(v.toLowerCase());

function positive(flag: string) {
  return (v: string): number => {
    if (!/^\d+$/.test(v) || Number(v) < 1) throw new Error(`${flag} must be a positive integer, got ${JSON.stringify(v)}`);
    return Number(v);
  };
}

/** tools/predict.py's parse_file_paths: the file itself, or the .avi/.mp4 files of a folder (sorted here). */
export async function parseFilePaths(input: string): Promise<string[]> {
  let info;
  try {
    info = await stat(input);
  } catch {
    throw new Error(`--input_file ${input} does not exist`);
  }
  if (info.isFile()) return [input];
  const names = (await readdir(input)).filter((n) => n.endsWith('.avi') || n.endsWith('.mp4')).sort();
  if (names.length === 0) throw new Error(`--input_file ${input} is a folder without .avi or .mp4 files`);
  return names.map((n) => path.join(input, n));
}

function precision(v: string): Precision {
  if (!(PRECISIONS as readonly string[]).includes(v)) throw new Error(`--precision must be one of ${PRECISIONS.join(', ')}, got ${JSON.stringify(v)}`);
  return v as Precision;
}

/**
 * What tools/predict.py's Paddle-engine options become here: onnxruntime has no TensorRT, oneDNN or reduced-precision
 * path in this runner, so asking for one runs the plain float32 model and says so (the answer is the same model's).
 * Throws for --enable_benchmark True, whose timing loop this command does not have.
 */
export function pythonOnlyNotes(o: Pick<Options, 'precision' | 'use_tensorrt' | 'enable_mkldnn' | 'enable_benchmark' | 'use_gpu'>): string[] {
  if (o.enable_benchmark) throw new Error('--enable_benchmark True is not supported: for latency use `npm run bench` or bench/zoo.ts (bare session.run per model)');
  const notes: string[] = [];
  if (o.use_tensorrt) notes.push(`--use_tensorrt: vidserve does not run TensorRT; onnxruntime runs the model on the ${o.use_gpu ? 'GPU when available' : 'CPU'}`);
  // Paddle applies oneDNN only on the CPU (use_gpu False), as here.
  if (o.enable_mkldnn && !o.use_gpu) notes.push("--enable_mkldnn: no oneDNN here; onnxruntime's own CPU kernels run the model");
  if (o.precision !== 'fp32') notes.push(`--precision ${o.precision}: the model runs in float32 (its exported precision)`);
  return notes;
}

interface LoadedModel {
  session: ModelSession;
  feed: string;
  fetch: string;
  feedShape: number[];
}

/** A .pdmodel or PIR .json + .pdiparams (translated in memory, as `vidserve serve` does with a Paddle serving dir) or an .onnx file. */
async function loadModel(o: Options, onWarning: (m: string) => void): Promise<LoadedModel> {
  const sessionOpts = { device: o.use_gpu ? ('gpu' as const) : ('cpu' as const), intraOpThreads: o.cpu_threads, graphOptimization: o.ir_optim ? ('all' as const) : ('disabled' as const), onWarning };
  if (o.model_file.endsWith('.onnx')) {
    const session = await createSession(o.model_file, sessionOpts);
    return { session, feed: session.inputNames[0]!, fetch: session.outputNames[0]!, feedShape: [] };
  }
  if (!o.params_file) throw new Error('--params_file is required with a Paddle --model_file');
  const model = await loadPaddleModel(path.dirname(o.model_file), path.basename(o.model_file), path.relative(path.dirname(o.model_file), o.params_file));
  const onnx = translateProgram(model.program, model.params);
  const session = await createSession(onnx.bytes, sessionOpts);
  const feedShape = onnx.inputs[0]!.dims.map((d) => (typeof d === 'number' ? d : -1));
  return { session, feed: onnx.inputs[0]!.name, fetch: onnx.outputs[0]!.name, feedShape };
}

export function register(program: Command): void {
  program
    .command('predict')
    .description("classify videos with an exported PaddleVideo model, no server (PaddleVideo's tools/predict.py)")
    .requiredOption('-i, --input_file <path>', 'a video file, or a folder of .avi/.mp4 files')
    .requiredOption('-c, --config <file>', "the model's PaddleVideo config (its INFERENCE section and model_name are used)")
    .requiredOption('--model_file <file>', "the exported model: <name>.pdmodel, or Paddle 3's <name>.json (told by content), or an .onnx file")
    .option('--params_file <file>', 'the exported weights: <name>.pdiparams')
    .option('-b, --batch_size <n>', 'videos per model run', positive('--batch_size'), 1)
    .option('--use_gpu <bool>', "run on onnxruntime's CUDA provider when installed, else on CPU with a warning", str2bool, true)
    .option('--cpu_threads <n>', 'onnxruntime intra-op threads', positive('--cpu_threads'))
    .option('--ir_optim <bool>', 'graph optimizations (False: none)', str2bool, true)
    // tools/predict.py's Paddle-engine options, accepted so PaddleVideo's documented commands run unchanged.
    .option('--precision <p>', `${PRECISIONS.join(' | ')}: Paddle's TensorRT/oneDNN precision (here always float32, with a note)`, precision, 'fp32')
    .option('--use_tensorrt <bool>', "Paddle's TensorRT engine (not available here: a note, then onnxruntime)", str2bool, false)
    .option('--gpu_mem <mb>', "Paddle's initial GPU memory pool in MB (onnxruntime sizes its own arena)", positive('--gpu_mem'), 8000)
    .option('--enable_mkldnn <bool>', "Paddle's oneDNN CPU kernels (not available here: a note, then onnxruntime's)", str2bool, false)
    .option('--enable_benchmark <bool>', "tools/predict.py's timing loop: not supported (True is refused; see npm run bench)", str2bool, false)
    .option('--label_list <file>', "'<index> <name>' lines: adds a top-k label line (vidserve addition)")
    .option('--json', 'one JSON object per video (video_file, topk_class, topk_scores, [topk_labels] or error)')
    .action(async (o: Options) => {
      const notes = pythonOnlyNotes(o);
      const cfg = loadPaddleVideoConfig(o.config);
      for (const n of notes) process.stderr.write(`vidserve: note: ${n}\n`);
      const topK = cfg.args.top_k;
      const labels = o.label_list ? new LabelMap(parseLabelList(await readFile(o.label_list, 'utf8'), o.label_list), o.label_list) : null;
      const files = await parseFilePaths(o.input_file);
      if (!o.json) console.log(`Inference model(${cfg.modelName})...`);
      const model = await loadModel(o, (m) => process.stderr.write(`vidserve: warning: ${m}\n`));
      try {
        const mismatch = model.feedShape.length ? pipelineMismatch(cfg.pipeline, model.feedShape) : null;
        if (mismatch) throw new Error(`${o.config}: ${mismatch}`);
        let failed = 0;
        for (let start = 0; start < files.length; start += o.batch_size) {
          const batch = files.slice(start, start + o.batch_size);
          // Preprocess each video as the serving op does; a video that fails is reported and left out of the batch.
          const inputs: { file: string; data: Float32Array; dims: number[] }[] = [];
          for (const file of batch) {
            try {
              const t = (await preprocessInput(cfg.pipeline, { kind: 'video', bytes: await readFile(file) })).tensor;
              inputs.push({ file, data: t.data, dims: t.dims });
            } catch (e) {
              failed++;
              report(o, file, (e as Error).message);
            }
          }
          if (inputs.length === 0) continue;
          const data = new Float32Array(inputs.reduce((n, x) => n + x.data.length, 0));
          inputs.reduce((off, x) => (data.set(x.data, off), off + x.data.length), 0);
          const dims = [inputs.length, ...inputs[0]!.dims.slice(1)];
          const out = (await model.session.run({ [model.feed]: { data, dims } }, [model.fetch]))[model.fetch]!;
          let scores: Float32Array = Float32Array.from(out.data as ArrayLike<number>);
          let sdims = out.dims;
          // Base_Inference_helper.postprocess: more rows than videos (per-view scores) are averaged per video.
          if (sdims[0] !== inputs.length) ({ scores, dims: sdims } = meanRows(scores, sdims, inputs.length));
          const preds = predict(scores, sdims, labels ?? new LabelMap(null, null), topK);
          preds.forEach((p, i) => {
            const file = inputs[i]!.file;
            if (o.json) {
              console.log(JSON.stringify({ video_file: file, topk_class: p.indices, topk_scores: p.probs, ...(labels ? { topk_labels: p.labels } : {}) }));
              return;
            }
            console.log(`Current video file: ${file}`);
            console.log(`\ttop-${topK} class: ${npIntArrayStr(p.indices)}`);
            console.log(`\ttop-${topK} score: ${npFloat32ArrayStr(p.probs)}`);
            if (labels) console.log(`\ttop-${topK} label: ${JSON.stringify(p.labels)}`);
          });
        }
        if (failed) process.exitCode = 1;
      } finally {
        await model.session.release();
      }
    });
}

function report(o: Options, file: string, message: string): void {
  if (o.json) console.log(JSON.stringify({ video_file: file, error: message }));
  else console.error(`vidserve: ${file}: ${message}`);
}

/** [N*V, C] → [N, C], the mean over each video's V rows. */
function meanRows(scores: Float32Array, dims: number[], n: number): { scores: Float32Array; dims: number[] } {
  const c = scores.length / dims[0]!;
  const v = dims[0]! / n;
  if (!Number.isInteger(v)) throw new Error(`the model answered ${dims[0]} score rows for ${n} videos`);
  const out = new Float32Array(n * c);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < c; k++) {
      let s = 0;
      for (let r = 0; r < v; r++) s += scores[(i * v + r) * c + k]!;
      out[i * c + k] = s / v;
    }
  return { scores: out, dims: [n, c] };
}
