// `vidserve make-model pptsm|pptsn|pptsmv2|tsm|tsn|tiny --out DIR [--seed N] [--num_seg N] [--num_classes K]
// [--image_size S] [--no-temporal_attention]`: a Paddle inference model built by our own code, with seeded synthetic
// weights (meaningless predictions; real ones need the released weights).
import type { Command } from 'commander';
import { isModelFormat, isModelName, MODEL_FILE_STEMS, MODEL_FORMATS, MODEL_NAMES, writeModel, type WriteModelOptions } from '../paddle/models/index.ts';
import { parseSeed } from './make-params.ts';

function positive(flag: string) {
  return (v: string): number => {
    if (!/^\d+$/.test(v) || Number(v) < 1) throw new Error(`${flag} must be a positive integer, got ${JSON.stringify(v)}`);
    return Number(v);
  };
}

interface Options {
  out: string;
  seed: string;
  num_seg?: number;
  num_classes?: number;
  image_size?: number;
  temporal_attention?: boolean;
  format: string;
}

export function register(program: Command): void {
  const stems = [...new Set(Object.values(MODEL_FILE_STEMS))].join('|');
  program
    .command('make-model')
    .description(`write a Paddle inference model (${MODEL_NAMES.join('|')}) with synthetic weights: DIR/<${stems}>.pdmodel (or .json with --format pir) + .pdiparams`)
    .argument('<model>', MODEL_NAMES.join(' | '))
    .requiredOption('--out <dir>', 'output directory')
    .option('--seed <n>', 'seed of the synthetic weights', '0')
    .option('--num_seg <n>', "segments per clip, as the config's num_seg (default: 8; pptsmv2 16; pptsn/tsn 25, × 10 crops)", positive('--num_seg'))
    .option('--num_classes <k>', 'classes (default 400; e.g. 2 for FightRecognition)', positive('--num_classes'))
    .option('--image_size <s>', "input height and width, as the config's target_size (default 224)", positive('--image_size'))
    .option('--no-temporal_attention', 'pptsmv2: without the GlobalAttention of the DML-distilled release (the plain config)')
    .option('--format <format>', 'program format: pdmodel (Paddle 2 ProgramDesc) or pir (Paddle 3 PIR program, <Stem>.json)', 'pdmodel')
    .action(async (model: string, opts: Options) => {
      if (!isModelName(model)) throw new Error(`unknown model "${model}" (expected one of: ${MODEL_NAMES.join(', ')})`);
      if (!isModelFormat(opts.format)) throw new Error(`unknown --format "${opts.format}" (expected one of: ${MODEL_FORMATS.join(', ')})`);
      const seed = parseSeed(opts.seed);
      const o: WriteModelOptions = { numSeg: opts.num_seg, numClasses: opts.num_classes, imageSize: opts.image_size, format: opts.format };
      // commander sets temporal_attention true by default for a --no- flag: only pass it when it was turned off.
      if (opts.temporal_attention === false) o.temporalAttention = false;
      process.stderr.write(`building ${model} (seed ${seed}, ${opts.format})...\n`);
      const { modelFile, paramsFile } = await writeModel(model, opts.out, seed, o);
      process.stderr.write(`wrote ${modelFile}\nwrote ${paramsFile}\n`);
    });
}
