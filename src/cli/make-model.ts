// `vidserve make-model pptsm|pptsn|tiny --out DIR [--seed N]`: a Paddle inference model built by our own code,
// with seeded synthetic weights (meaningless predictions; real ones need the released weights).
import type { Command } from 'commander';
import { isModelName, MODEL_NAMES, writeModel } from '../paddle/models/index.ts';
import { parseSeed } from './make-params.ts';

export function register(program: Command): void {
  program
    .command('make-model')
    .description(`write a Paddle inference model (${MODEL_NAMES.join('|')}) with synthetic weights: DIR/<ppTSM|ppTSN|tiny>.pdmodel + .pdiparams`)
    .argument('<model>', MODEL_NAMES.join(' | '))
    .requiredOption('--out <dir>', 'output directory')
    .option('--seed <n>', 'seed of the synthetic weights', '0')
    .action(async (model: string, opts: { out: string; seed: string }) => {
      if (!isModelName(model)) throw new Error(`unknown model "${model}" (expected one of: ${MODEL_NAMES.join(', ')})`);
      const seed = parseSeed(opts.seed);
      process.stderr.write(`building ${model} (seed ${seed})...\n`);
      const { modelFile, paramsFile } = await writeModel(model, opts.out, seed);
      process.stderr.write(`wrote ${modelFile}\nwrote ${paramsFile}\n`);
    });
}
