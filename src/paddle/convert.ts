// `vidserve convert`: what paddle_serving_client.convert (io/__init__.py inference_model_to_serving → save_model)
// writes — the model files in the server dir, serving_server_conf.prototxt + .stream.prototxt there and
// serving_client_conf.prototxt + .stream.prototxt in the client dir — plus model.onnx (the translated graph that
// vidserve runs) and, if given, the label list.
import { copyFile, mkdir, open, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { ModelFormatError } from '../errors.ts';
import { translateProgram } from './onnx/index.ts';
import { persistableVars, readParams, writeParams } from './params.ts';
import { parseModelFile, programFormat, type ProgramFormat } from './model_file.ts';
import { configFromProgram, encodeConfig, formatConfigText, type GeneralModelConfig } from './serving_conf.ts';
import type { ParamTensor, ProgramDesc } from './types.ts';

export const SERVER_CONF = 'serving_server_conf.prototxt';
export const SERVER_CONF_STREAM = 'serving_server_conf.stream.prototxt';
export const CLIENT_CONF = 'serving_client_conf.prototxt';
export const CLIENT_CONF_STREAM = 'serving_client_conf.stream.prototxt';
export const ONNX_FILE = 'model.onnx';
export const LABEL_LIST_FILE = 'label_list.txt';

export interface PaddleModel {
  program: ProgramDesc;
  params: Map<string, ParamTensor>;
  modelPath: string;
  /** The program file's format, told by its content. */
  format: ProgramFormat;
  /** The combined params file, or undefined when every variable is a separate file in the model dir. */
  paramsPath?: string;
}

async function readOrFail(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new ModelFormatError(path, e.code === 'ENOENT' ? `${what} not found` : `cannot read ${what}: ${e.message}`);
  }
}

/**
 * Load a Paddle inference model from `dirname` as Paddle's load_inference_model does: the program from
 * `modelFilename` (default `__model__`), the parameters from the combined `paramsFilename`, or, without one,
 * from one file per persistable variable.
 */
export async function loadPaddleModel(
  dirname: string,
  modelFilename?: string,
  paramsFilename?: string,
  onProgress?: (msg: string) => void,
): Promise<PaddleModel> {
  const modelPath = join(dirname, modelFilename ?? '__model__');
  onProgress?.(`reading program ${modelPath}`);
  const { program, format } = parseModelFile(await readOrFail(modelPath, 'model file'), modelPath);
  const vars = persistableVars(program);
  if (paramsFilename) {
    const paramsPath = join(dirname, paramsFilename);
    const bytes = await readOrFail(paramsPath, 'params file');
    onProgress?.(`reading ${vars.length} parameters from ${paramsPath} (${(bytes.length / 1e6).toFixed(1)} MB)`);
    return { program, params: readParams(bytes, vars, paramsPath), modelPath, format, paramsPath };
  }
  onProgress?.(`reading ${vars.length} parameters as separate files in ${dirname}`);
  const params = new Map<string, ParamTensor>();
  for (const v of vars) {
    const path = join(dirname, v.name);
    const one = readParams(await readOrFail(path, `parameter file of variable ${v.name}`), [v], path);
    params.set(v.name, one.get(v.name)!);
  }
  return { program, params, modelPath, format };
}

export interface ConvertOptions {
  dirname: string;
  modelFilename?: string;
  paramsFilename?: string;
  servingServer?: string;
  servingClient?: string;
  feedAlias?: string[];
  fetchAlias?: string[];
  labelList?: string;
  onProgress?: (msg: string) => void;
}

export interface ConvertResult {
  serverDir: string;
  clientDir: string;
  config: GeneralModelConfig;
  /** Files written, relative paths joined with their dir. */
  files: string[];
  onnxBytes: number;
}

export async function convertModel(o: ConvertOptions): Promise<ConvertResult> {
  const progress = o.onProgress ?? (() => {});
  const serverDir = o.servingServer ?? 'serving_server';
  const clientDir = o.servingClient ?? 'serving_client';
  const model = await loadPaddleModel(o.dirname, o.modelFilename, o.paramsFilename, progress);
  const config = configFromProgram(model.program, { feedAlias: o.feedAlias, fetchAlias: o.fetchAlias, file: model.modelPath });
  if (o.labelList) await readOrFail(o.labelList, 'label list');

  // Translate before writing anything: an unsupported op fails the whole conversion (UnsupportedOpsError lists all).
  progress(`translating ${model.program.blocks[0]?.ops.length ?? 0} ops to ONNX`);
  const onnx = translateProgram(model.program, model.params, { onProgress: progress });

  await mkdir(serverDir, { recursive: true });
  await mkdir(clientDir, { recursive: true });
  const files: string[] = [];
  const put = async (path: string, data: Uint8Array | string): Promise<void> => {
    await writeFile(path, data);
    files.push(path);
  };
  const copy = async (from: string, to: string): Promise<void> => {
    if (resolve(from) !== resolve(to)) await copyFile(from, to);
    files.push(to);
  };

  // Paddle Serving keeps the given file names, or saves as model.pdmodel (model.json for PIR) / params.pdiparams.
  progress(`writing model files to ${serverDir}`);
  const defaultName = model.format === 'pir' ? 'model.json' : 'model.pdmodel';
  await copy(model.modelPath, join(serverDir, o.modelFilename ? basename(o.modelFilename) : defaultName));
  if (model.paramsPath) await copy(model.paramsPath, join(serverDir, basename(o.paramsFilename!)));
  else await put(join(serverDir, 'params.pdiparams'), writeParams(persistableVars(model.program).map((v) => model.params.get(v.name)!)));

  progress(`writing ${ONNX_FILE} (${(onnx.bytes.length / 1e6).toFixed(1)} MB)`);
  await put(join(serverDir, ONNX_FILE), onnx.bytes);

  const text = formatConfigText(config);
  const stream = encodeConfig(config);
  await put(join(serverDir, SERVER_CONF), text);
  await put(join(serverDir, SERVER_CONF_STREAM), stream);
  await put(join(clientDir, CLIENT_CONF), text);
  await put(join(clientDir, CLIENT_CONF_STREAM), stream);
  if (o.labelList) await copy(o.labelList, join(serverDir, LABEL_LIST_FILE));
  return { serverDir, clientDir, config, files, onnxBytes: onnx.bytes.length };
}

/**
 * Find the Paddle model files in a serving dir written by Paddle Serving's converter or `vidserve convert` (names
 * vary by version): __model__, one *.pdmodel, or one *.json holding a PIR program (told by content: a serving dir
 * may hold other JSON files), with the matching *.pdiparams.
 */
export async function findPaddleModelFiles(dir: string): Promise<{ modelFilename: string; paramsFilename?: string } | undefined> {
  const names = await readdir(dir);
  const has = (n: string): boolean => names.includes(n);
  if (has('__model__')) return { modelFilename: '__model__', ...(has('__params__') ? { paramsFilename: '__params__' } : {}) };
  const models = names.filter((n) => n.endsWith('.pdmodel'));
  for (const n of names.filter((x) => x.endsWith('.json')).sort()) {
    if (await isPirFile(join(dir, n))) models.push(n);
  }
  if (models.length === 0) return undefined;
  if (models.length > 1) throw new ModelFormatError(dir, `several Paddle programs (${models.join(', ')}); keep one per serving dir`);
  const modelFilename = models[0]!;
  const stem = modelFilename.slice(0, modelFilename.lastIndexOf('.'));
  const params = names.filter((n) => n.endsWith('.pdiparams'));
  const paramsFilename = params.includes(`${stem}.pdiparams`) ? `${stem}.pdiparams` : params.length === 1 ? params[0] : undefined;
  if (!paramsFilename) {
    throw new ModelFormatError(dir, `found ${modelFilename} but no matching .pdiparams (${params.length ? params.join(', ') : 'none'})`);
  }
  for (const n of [modelFilename, paramsFilename]) if (!(await stat(join(dir, n))).isFile()) throw new ModelFormatError(join(dir, n), 'not a file');
  return { modelFilename, paramsFilename };
}

async function isPirFile(path: string): Promise<boolean> {
  let fh;
  try {
    fh = await open(path, 'r');
    const head = Buffer.alloc(512);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    return programFormat(head.subarray(0, bytesRead)) === 'pir';
  } catch {
    return false;
  } finally {
    await fh?.close();
  }
}
