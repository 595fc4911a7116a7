// `vidserve make-model pptsm|pptsn|tiny --out DIR [--seed N]`: a Paddle inference model built by our own code,
// with seeded synthetic weights (meaningless predictions; real ones need the released weights).
import type { Command } from 'commander';
import { isModelFormat, isModelName, MODEL_FORMATS, MODEL_NAMES, writeModel } from '../paddle/models/index.ts';
import { parseSeed } from './make-params.ts';

export function register(program: Command): void {
  program
    .command('make-model')
    .description(`write a Paddle inference model (${MODEL_NAMES.join('|')}) with synthetic weights: DIR/<ppTSM|ppTSN|tiny>.pdmodel (or .json with --format pir) + .pdiparams`)
    .argument('<model>', MODEL_NAMES.join(' | '))
    .requiredOption('--out <dir>', 'output directory')
    .option('--seed <n>', 'seed of the synthetic weights', '0')
    .option('--format <format>', `program format: pdmodel (Paddle 2 ProgramDesc) or pir (Paddle 3 PIR program, <Stem>.json)`, 'pdmodel')
    .action(async (model: string, opts: { out: string; seed: string; format: string }) => {
      if (!isModelName(model)) throw new Error(`unknown model "${model}" (expected one of: ${MODEL_NAMES.join(', ')})`);
      if (!isModelFormat(opts.format)) throw new Error(`unknown --format "${opts.format}" (expected one of: ${MODEL_FORMATS.join(', ')})`);
      const seed = parseSeed(opts.seed);
      process.stderr.write(`building ${model} (seed ${seed}, ${opts.format})...\n`);
      const { modelFile, paramsFile } = await writeModel(model, opts.out, seed, opts.format);
      process.stderr.write(`wrote ${modelFile}\nwrote ${paramsFile}\n`);
    });
}
