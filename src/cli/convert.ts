// `vidserve convert`: paddle_serving_client.convert's flags and output, plus model.onnx for vidserve's runtime.
import type { Command } from 'commander';

const list = (s: string | undefined): string[] | undefined => (s === undefined ? undefined : s.split(',').map((x) => x.trim()));

export function register(program: Command): void {
  program
    .command('convert')
    .description('convert a Paddle inference model into Paddle Serving server/client dirs (+ model.onnx for vidserve)')
    .requiredOption('--dirname <dir>', 'directory of the Paddle inference model')
    .option('--model_filename <file>', 'program file in --dirname (default: __model__)')
    .option('--params_filename <file>', 'combined params file in --dirname (default: one file per variable)')
    .option('--serving_server <dir>', 'server model dir to write', 'serving_server')
    .option('--serving_client <dir>', 'client config dir to write', 'serving_client')
    .option('--feed_alias <names>', 'comma-separated alias_name for each feed var (default: the var names)')
    .option('--fetch_alias <names>', 'comma-separated alias_name for each fetch var, in name order (e.g. outputs)')
    .option('--feed_alias_names <names>', 'same as --feed_alias (Paddle Serving spelling)')
    .option('--fetch_alias_names <names>', 'same as --fetch_alias (Paddle Serving spelling)')
    .option('--label_list <file>', 'label list copied into the server dir as label_list.txt')
    .action(async (o: Record<string, string | undefined>) => {
      const t0 = Date.now();
      const log = (msg: string): void => {
        process.stderr.write(`[convert ${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}\n`);
      };
      // Loaded here: the translator is for this command only.
      const { convertModel } = await import('../paddle/convert.ts');
      const r = await convertModel({
        dirname: o.dirname!,
        modelFilename: o.model_filename,
        paramsFilename: o.params_filename,
        servingServer: o.serving_server,
        servingClient: o.serving_client,
        feedAlias: list(o.feed_alias ?? o.feed_alias_names),
        fetchAlias: list(o.fetch_alias ?? o.fetch_alias_names),
        labelList: o.label_list,
        onProgress: log,
      });
      for (const f of r.config.feeds) log(`feed  ${f.name} (alias ${f.alias}) type ${f.feedType} shape [${f.shape.join(', ')}]`);
      for (const f of r.config.fetches) log(`fetch ${f.name} (alias ${f.alias}) type ${f.feedType} shape [${f.shape.join(', ')}]`);
      log(`done: ${r.serverDir} and ${r.clientDir}`);
    });
}
