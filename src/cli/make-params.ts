// `vidserve make-params --model_file X.pdmodel --params_file X.pdiparams [--seed N]`: a genuine combined params file
// with seeded synthetic weights for any Paddle inference program.
import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { parseModelFile } from '../paddle/model_file.ts';
import { persistableVars } from '../paddle/params.ts';
import { makeParamsFile } from '../paddle/models/synthetic_params.ts';

export function parseSeed(s: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`--seed must be an integer in 0..4294967295, got "${s}"`);
  return n;
}

export function register(program: Command): void {
  program
    .command('make-params')
    .description('write a .pdiparams with seeded synthetic weights for a .pdmodel or a Paddle 3 PIR .json (runs end to end; predictions are meaningless)')
    .requiredOption('--model_file <file>', 'Paddle program (.pdmodel, or PIR .json: told by content)')
    .requiredOption('--params_file <file>', 'combined params file to write (.pdiparams)')
    .option('--seed <n>', 'seed', '0')
    .action(async (opts: { model_file: string; params_file: string; seed: string }) => {
      const seed = parseSeed(opts.seed);
      const prog = parseModelFile(await readFile(opts.model_file), opts.model_file).program;
      const vars = persistableVars(prog);
      process.stderr.write(`generating ${vars.length} parameters (seed ${seed})...\n`);
      const bytes = makeParamsFile(prog, seed);
      await writeFile(opts.params_file, bytes);
      process.stderr.write(`wrote ${opts.params_file} (${(bytes.length / 1e6).toFixed(1)} MB)\n`);
    });
}
