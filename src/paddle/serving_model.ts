// Load whatever a user points vidserve at, as one ServingModel (feeds, fetches, ONNX bytes):
//  - a serving dir written by `vidserve convert` (conf + model.onnx),
//  - a serving dir written by Paddle Serving's own converter (conf + Paddle model, translated on load),
//  - a plain .onnx file, or a dir holding only an .onnx (feeds/fetches from the ONNX graph).
import { readFile, readdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ModelFormatError } from '../errors.ts';
import { translateProgram } from './onnx/index.ts';
import { findPaddleModelFiles, LABEL_LIST_FILE, loadPaddleModel, ONNX_FILE, SERVER_CONF, SERVER_CONF_STREAM } from './convert.ts';
import { configFromProgram, decodeConfig, parseConfigText, servingTypeCode, type GeneralModelConfig, type ServingVar } from './serving_conf.ts';
import { dtypeFromOnnx } from './onnx/proto.ts';

export type { ServingVar } from './serving_conf.ts';

export interface ServingModel {
  dir: string;
  feeds: ServingVar[];
  fetches: ServingVar[];
  onnx: Uint8Array;
  /** The .onnx file the bytes were read from (absolute); undefined for a Paddle model translated in memory. */
  onnxFile?: string;
  labelListPath?: string;
  source: 'onnx' | 'paddle';
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

export async function loadServingModel(pathOrDir: string, o: { onProgress?: (msg: string) => void } = {}): Promise<ServingModel> {
  let info;
  try {
    info = await stat(pathOrDir);
  } catch {
    throw new ModelFormatError(pathOrDir, 'model path not found (expected a serving dir or an .onnx file)');
  }
  if (info.isFile() && !pathOrDir.endsWith('.onnx')) throw new ModelFormatError(pathOrDir, 'expected a serving dir or an .onnx file');
  const dir = info.isFile() ? dirname(pathOrDir) : pathOrDir;
  const labelListPath = (await exists(join(dir, LABEL_LIST_FILE))) ? join(dir, LABEL_LIST_FILE) : undefined;
  if (info.isFile()) return { ...(await fromOnnxFile(pathOrDir, dir)), ...(labelListPath ? { labelListPath } : {}) };
  const conf = await readConf(dir);
  const onnxPath = join(dir, ONNX_FILE);

  if (await exists(onnxPath)) {
    const onnx = await readFile(onnxPath);
    const graph = readOnnxIo(onnx, onnxPath);
    const c = conf ?? configFromOnnx(graph);
    checkAgainstOnnx(c, graph, onnxPath, conf ? join(dir, SERVER_CONF) : undefined);
    return { dir, ...c, onnx, onnxFile: resolve(onnxPath), source: 'onnx', ...(labelListPath ? { labelListPath } : {}) };
  }

  const paddle = await findPaddleModelFiles(dir);
  if (paddle) {
    const model = await loadPaddleModel(dir, paddle.modelFilename, paddle.paramsFilename, o.onProgress);
    const c = conf ?? configFromProgram(model.program, { file: model.modelPath });
    o.onProgress?.(`translating ${model.modelPath} to ONNX`);
    const t = translateProgram(model.program, model.params, o.onProgress ? { onProgress: o.onProgress } : {});
    checkAgainstOnnx(c, { inputs: t.inputs.map((i) => ({ ...i, elemType: 0 })), outputs: t.outputs.map((i) => ({ ...i, elemType: 0 })) }, model.modelPath, conf ? join(dir, SERVER_CONF) : undefined);
    return { dir, ...c, onnx: t.bytes, source: 'paddle', ...(labelListPath ? { labelListPath } : {}) };
  }

  const onnxFiles = (await readdir(dir)).filter((n) => n.endsWith('.onnx'));
  if (onnxFiles.length === 1) return { ...(await fromOnnxFile(join(dir, onnxFiles[0]!), dir)), ...(labelListPath ? { labelListPath } : {}) };
  if (onnxFiles.length > 1) throw new ModelFormatError(dir, `several .onnx files (${onnxFiles.join(', ')}); name one, or keep one per dir`);
  throw new ModelFormatError(dir, `no model found: expected ${ONNX_FILE}, a Paddle model (*.pdmodel or a PIR *.json, + *.pdiparams; or __model__), or an .onnx file`);
}

async function readConf(dir: string): Promise<GeneralModelConfig | undefined> {
  const textPath = join(dir, SERVER_CONF);
  if (await exists(textPath)) return parseConfigText(await readFile(textPath, 'utf8'), textPath);
  const streamPath = join(dir, SERVER_CONF_STREAM);
  if (await exists(streamPath)) return decodeConfig(await readFile(streamPath), streamPath);
  return undefined;
}

async function fromOnnxFile(path: string, dir: string): Promise<ServingModel> {
  const onnx = await readFile(path);
  const c = configFromOnnx(readOnnxIo(onnx, path));
  return { dir, ...c, onnx, onnxFile: resolve(path), source: 'onnx' };
}

function checkAgainstOnnx(c: GeneralModelConfig, g: OnnxIo, onnxFile: string, confFile: string | undefined): void {
  const where = confFile ?? 'the model config';
  if (c.feeds.length === 0) throw new ModelFormatError(where, 'no feed_var');
  if (c.fetches.length === 0) throw new ModelFormatError(where, 'no fetch_var');
  const ins = new Set(g.inputs.map((i) => i.name));
  const outs = new Set(g.outputs.map((i) => i.name));
  for (const f of c.feeds) {
    if (!ins.has(f.name)) throw new ModelFormatError(where, `feed_var ${f.name} is not an input of ${onnxFile} (inputs: ${[...ins].join(', ')})`);
  }
  for (const f of c.fetches) {
    if (!outs.has(f.name)) throw new ModelFormatError(where, `fetch_var ${f.name} is not an output of ${onnxFile} (outputs: ${[...outs].join(', ')})`);
  }
}

// ---- reading an ONNX model's graph inputs/outputs (just the fields needed, straight from the wire format) ----

export interface OnnxIoVar {
  name: string;
  /** TensorProto.DataType (0 = unknown). */
  elemType: number;
  dims: (number | string)[];
}
export interface OnnxIo {
  inputs: OnnxIoVar[];
  outputs: OnnxIoVar[];
}

function configFromOnnx(g: OnnxIo): GeneralModelConfig {
  const conv = (v: OnnxIoVar): ServingVar => ({
    name: v.name,
    alias: v.name,
    isLodTensor: false,
    feedType: servingTypeCode(dtypeFromOnnx(v.elemType)),
    // As Paddle Serving: only known dims (the batch dim is symbolic or -1 in exported models).
    shape: v.dims.filter((d): d is number => typeof d === 'number' && d >= 0),
  });
  return { feeds: g.inputs.map(conv), fetches: g.outputs.map(conv) };
}

class WireReader {
  pos = 0;
  constructor(
    readonly buf: Uint8Array,
    readonly file: string,
  ) {}
  get done(): boolean {
    return this.pos >= this.buf.length;
  }
  varint(): bigint {
    let r = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length) throw new ModelFormatError(this.file, 'truncated ONNX model (varint)');
      const b = this.buf[this.pos++]!;
      r |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return r;
      shift += 7n;
      if (shift > 63n) throw new ModelFormatError(this.file, 'corrupt ONNX model (varint too long)');
    }
  }
  /** Next field: number, wire type, and for length-delimited fields the payload. */
  field(): { no: number; wire: number; bytes?: Uint8Array; value?: bigint } {
    const key = Number(this.varint());
    const no = key >>> 3;
    const wire = key & 7;
    switch (wire) {
      case 0:
        return { no, wire, value: this.varint() };
      case 1:
        this.skip(8);
        return { no, wire };
      case 5:
        this.skip(4);
        return { no, wire };
      case 2: {
        const len = Number(this.varint());
        const start = this.pos;
        this.skip(len);
        return { no, wire, bytes: this.buf.subarray(start, start + len) };
      }
      default:
        throw new ModelFormatError(this.file, `not an ONNX model (unexpected wire type ${wire})`);
    }
  }
  private skip(n: number): void {
    if (this.pos + n > this.buf.length) throw new ModelFormatError(this.file, 'truncated ONNX model');
    this.pos += n;
  }
}

const utf8 = new TextDecoder();

function readValueInfo(bytes: Uint8Array, file: string): OnnxIoVar {
  const v: OnnxIoVar = { name: '', elemType: 0, dims: [] };
  const r = new WireReader(bytes, file);
  while (!r.done) {
    const f = r.field();
    if (f.no === 1 && f.bytes) v.name = utf8.decode(f.bytes);
    else if (f.no === 2 && f.bytes) {
      // TypeProto.tensor_type (1) → elem_type (1), shape (2) → dim (1) → dim_value (1) | dim_param (2)
      const t = new WireReader(f.bytes, file);
      while (!t.done) {
        const tf = t.field();
        if (tf.no !== 1 || !tf.bytes) continue;
        const tt = new WireReader(tf.bytes, file);
        while (!tt.done) {
          const x = tt.field();
          if (x.no === 1 && x.value !== undefined) v.elemType = Number(x.value);
          else if (x.no === 2 && x.bytes) {
            const s = new WireReader(x.bytes, file);
            while (!s.done) {
              const d = s.field();
              if (d.no !== 1 || !d.bytes) continue;
              const dr = new WireReader(d.bytes, file);
              let dim: number | string = '?';
              while (!dr.done) {
                const df = dr.field();
                if (df.no === 1 && df.value !== undefined) dim = Number(BigInt.asIntN(64, df.value));
                else if (df.no === 2 && df.bytes) dim = utf8.decode(df.bytes);
              }
              v.dims.push(dim);
            }
          }
        }
      }
    }
  }
  return v;
}

/** Graph inputs (minus initializers) and outputs of an ONNX ModelProto. */
export function readOnnxIo(bytes: Uint8Array, file = '<onnx>'): OnnxIo {
  const r = new WireReader(bytes, file);
  let graph: Uint8Array | undefined;
  while (!r.done) {
    const f = r.field();
    if (f.no === 7 && f.bytes) graph = f.bytes; // ModelProto.graph
  }
  if (!graph) throw new ModelFormatError(file, 'not an ONNX model (no graph)');
  const inputs: OnnxIoVar[] = [];
  const outputs: OnnxIoVar[] = [];
  const initializers = new Set<string>();
  const g = new WireReader(graph, file);
  while (!g.done) {
    const f = g.field();
    if (!f.bytes) continue;
    if (f.no === 11) inputs.push(readValueInfo(f.bytes, file));
    else if (f.no === 12) outputs.push(readValueInfo(f.bytes, file));
    else if (f.no === 5) {
      const t = new WireReader(f.bytes, file);
      while (!t.done) {
        const tf = t.field();
        if (tf.no === 8 && tf.bytes) initializers.add(utf8.decode(tf.bytes));
      }
    }
  }
  const realInputs = inputs.filter((i) => !initializers.has(i.name));
  if (realInputs.length === 0 || outputs.length === 0) throw new ModelFormatError(file, 'ONNX graph has no inputs or no outputs');
  return { inputs: realInputs, outputs };
}
