// Model builders by name, and writing a model as Paddle inference files (<Stem>.pdmodel + <Stem>.pdiparams).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writePirProgram } from '../pir/writer.ts';
import { serializeProgram } from '../program.ts';
import type { ProgramDesc } from '../types.ts';
import { buildPPTSM, buildPPTSN, buildTiny } from './resnet_vd.ts';
import { makeParamsFile } from './synthetic_params.ts';

export { buildPPTSM, buildPPTSN, buildTiny, buildResNetVd, FEED_NAME, FETCH_NAME, type ResNetVdSpec } from './resnet_vd.ts';
export { makeParams, makeParamsFile, Rng } from './synthetic_params.ts';
export { ProgramBuilder } from './builder.ts';

export const MODEL_NAMES = ['pptsm', 'pptsn', 'tiny'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

/** File stems as PaddleVideo's export names them (ppTSM.pdmodel, ppTSN.pdmodel). */
export const MODEL_FILE_STEMS: Record<ModelName, string> = { pptsm: 'ppTSM', pptsn: 'ppTSN', tiny: 'tiny' };

export function isModelName(s: string): s is ModelName {
  return (MODEL_NAMES as readonly string[]).includes(s);
}

export function buildModel(name: ModelName): ProgramDesc {
  switch (name) {
    case 'pptsm':
      return buildPPTSM();
    case 'pptsn':
      return buildPPTSN();
    case 'tiny':
      return buildTiny();
  }
}

/** Program file formats: Paddle 2's ProgramDesc (.pdmodel) or Paddle 3's PIR program (.json). */
export const MODEL_FORMATS = ['pdmodel', 'pir'] as const;
export type ModelFormat = (typeof MODEL_FORMATS)[number];

export function isModelFormat(s: string): s is ModelFormat {
  return (MODEL_FORMATS as readonly string[]).includes(s);
}

/**
 * Write DIR/<Stem>.pdmodel (or, for format 'pir', DIR/<Stem>.json) and DIR/<Stem>.pdiparams (seeded synthetic
 * weights). Both formats store the parameters sorted by name, so the .pdiparams is the same file either way.
 */
export async function writeModel(
  name: ModelName,
  dir: string,
  seed = 0,
  format: ModelFormat = 'pdmodel',
): Promise<{ modelFile: string; paramsFile: string }> {
  const program = buildModel(name);
  await mkdir(dir, { recursive: true });
  const stem = MODEL_FILE_STEMS[name];
  const modelFile = join(dir, format === 'pir' ? `${stem}.json` : `${stem}.pdmodel`);
  const paramsFile = join(dir, `${stem}.pdiparams`);
  await writeFile(modelFile, format === 'pir' ? writePirProgram(program) : serializeProgram(program));
  await writeFile(paramsFile, makeParamsFile(program, seed));
  return { modelFile, paramsFile };
}
