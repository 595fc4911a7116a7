// Model builders by name, and writing a model as Paddle inference files (<Stem>.pdmodel + <Stem>.pdiparams).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writePirProgram } from '../pir/writer.ts';
import { serializeProgram } from '../program.ts';
import type { ProgramDesc } from '../types.ts';
import { buildPPTSMv2 } from './pptsm_v2.ts';
import { buildTSM, buildTSN } from './resnet.ts';
import { buildPPTSM, buildPPTSN, buildTiny } from './resnet_vd.ts';
import { makeParamsFile } from './synthetic_params.ts';

export { buildPPTSM, buildPPTSN, buildTiny, buildResNetVd, FEED_NAME, FETCH_NAME, type ResNetVdSpec } from './resnet_vd.ts';
export { buildPPTSMv2, type PPTSMv2Spec } from './pptsm_v2.ts';
export { buildResNet, buildTSM, buildTSN, type ResNetSpec } from './resnet.ts';
export { makeParams, makeParamsFile, Rng } from './synthetic_params.ts';
export { ProgramBuilder } from './builder.ts';

export const MODEL_NAMES = ['pptsm', 'pptsn', 'pptsmv2', 'tsm', 'tsn', 'tiny'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

/** File stems as PaddleVideo's export names them (its config's model_name: ppTSM.pdmodel, ppTSMv2.pdmodel, TSM.pdmodel). */
export const MODEL_FILE_STEMS: Record<ModelName, string> = { pptsm: 'ppTSM', pptsn: 'ppTSN', pptsmv2: 'ppTSMv2', tsm: 'TSM', tsn: 'TSN', tiny: 'tiny' };

export function isModelName(s: string): s is ModelName {
  return (MODEL_NAMES as readonly string[]).includes(s);
}

/**
 * What a PaddleVideo config changes in the exported graph. Unset = the released model's value: 8 segments (PP-TSM,
 * TSM), 16 (PP-TSMv2), 25 × 10 crops (PP-TSN, TSN); 400 classes; 224² input; PP-TSMv2 with temporal attention.
 */
export interface ModelOptions {
  numSeg?: number;
  numClasses?: number;
  imageSize?: number;
  /** PP-TSMv2 only: GlobalAttention before the shift (the DML-distilled release); false = the plain config. */
  temporalAttention?: boolean;
}

export function buildModel(name: ModelName, o: ModelOptions = {}): ProgramDesc {
  if (name !== 'pptsmv2' && o.temporalAttention !== undefined) throw new Error(`temporal attention is a PP-TSMv2 option, not ${name}'s`);
  switch (name) {
    case 'pptsm':
      return buildPPTSM({ segNum: o.numSeg, numClasses: o.numClasses, imageSize: o.imageSize });
    case 'pptsn':
      return buildPPTSN({ segNum: o.numSeg, numClasses: o.numClasses, imageSize: o.imageSize });
    case 'pptsmv2':
      return buildPPTSMv2({ numSeg: o.numSeg ?? 16, numClasses: o.numClasses ?? 400, imageSize: o.imageSize ?? 224, temporalAttention: o.temporalAttention ?? true });
    case 'tsm':
      return buildTSM(o);
    case 'tsn':
      return buildTSN(o);
    case 'tiny':
      if (o.numSeg !== undefined || o.numClasses !== undefined || o.imageSize !== undefined) throw new Error('the tiny model has fixed shapes');
      return buildTiny();
  }
}

/** Program file formats: Paddle 2's ProgramDesc (.pdmodel) or Paddle 3's PIR program (.json). */
export const MODEL_FORMATS = ['pdmodel', 'pir'] as const;
export type ModelFormat = (typeof MODEL_FORMATS)[number];

export function isModelFormat(s: string): s is ModelFormat {
  return (MODEL_FORMATS as readonly string[]).includes(s);
}

export interface WriteModelOptions extends ModelOptions {
  /** Default 'pdmodel'. */
  format?: ModelFormat;
}

/**
 * Write DIR/<Stem>.pdmodel (or, for format 'pir', DIR/<Stem>.json) and DIR/<Stem>.pdiparams (seeded synthetic
 * weights). Both formats store the parameters sorted by name, so the .pdiparams is the same file either way.
 */
export async function writeModel(name: ModelName, dir: string, seed = 0, o: WriteModelOptions = {}): Promise<{ modelFile: string; paramsFile: string }> {
  const { format = 'pdmodel', ...modelOptions } = o;
  const program = buildModel(name, modelOptions);
  await mkdir(dir, { recursive: true });
  const stem = MODEL_FILE_STEMS[name];
  const modelFile = join(dir, format === 'pir' ? `${stem}.json` : `${stem}.pdmodel`);
  const paramsFile = join(dir, `${stem}.pdiparams`);
  await writeFile(modelFile, format === 'pir' ? writePirProgram(program) : serializeProgram(program));
  await writeFile(paramsFile, makeParamsFile(program, seed));
  return { modelFile, paramsFile };
}
