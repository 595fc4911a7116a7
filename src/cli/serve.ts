// `vidserve serve -n PPTSM -c configs/PP-TSM.yaml`: the seed's `recognition_web_service.py -n PPTSM -c ...`.
import { Option, type Command } from 'commander';
import { getPipeline, PIPELINES } from '../video/pipelines.ts';

const MODELS = Object.keys(PIPELINES);

function port(flag: string) {
  return (v: string): number => {
    if (!/^\d+$/.test(v) || Number(v) > 65535) throw new Error(`${flag} must be a port number 0-65535 (0 = any free port), got ${JSON.stringify(v)}`);
    return Number(v);
  };
}

export function register(program: Command): void {
  program
    .command('serve')
    .description('serve a PaddleVideo model over HTTP and gRPC, wire-compatible with Paddle Serving pipelines')
    // Each setting a container needs can come from the environment too (a flag wins over its variable).
    .addOption(new Option('-n, --name <model>', `preprocessing pipeline: ${MODELS.join(' | ')} (default: the op's paddlevideo_config, else PPTSM)`).env('VIDSERVE_PIPELINE'))
    .addOption(new Option('-c, --config <file>', 'pipeline config (Paddle Serving YAML)').default('configs/PP-TSM.yaml').env('VIDSERVE_CONFIG'))
    .addOption(new Option('--model_name <name>', "the model's name on the Open Inference Protocol v2 routes (default: the op's name)").env('VIDSERVE_MODEL_NAME'))
    .addOption(new Option('--log_dir <dir>', 'where PipelineServingLogs are written (default: ./PipelineServingLogs)').env('VIDSERVE_LOG_DIR'))
    .option('--label_list <file>', "label list, '<index> <name>' per line (default: op label_list or the serving dir's label_list.txt)")
    .option('--strict-device', 'fail instead of falling back to the CPU when the configured GPU is unavailable')
    .addOption(new Option('--http_port <port>', 'override http_port (0 = any free port)').argParser(port('--http_port')).env('VIDSERVE_HTTP_PORT'))
    .addOption(new Option('--rpc_port <port>', 'override rpc_port (0 = any free port)').argParser(port('--rpc_port')).env('VIDSERVE_RPC_PORT'))
    .option('--host <addr>', 'address to listen on', '0.0.0.0')
    .action(async (o: { name?: string; config: string; model_name?: string; log_dir?: string; label_list?: string; strictDevice?: boolean; http_port?: number; rpc_port?: number; host: string }) => {
      let name: string | undefined;
      try {
        name = o.name === undefined ? undefined : getPipeline(o.name).name;
      } catch {
        throw new Error(`-n must be one of ${MODELS.join(', ')}, got ${o.name}`);
      }
      // Loaded here: the server's modules (fastify, gRPC, the translator) are for this command only.
      const { startServer } = await import('../serving/server.ts');
      const server = await startServer({
        config: o.config,
        pipeline: name,
        labelList: o.label_list,
        strictDevice: o.strictDevice,
        httpPort: o.http_port,
        rpcPort: o.rpc_port,
        host: o.host,
        modelName: o.model_name,
        logDir: o.log_dir,
        onLine: (l) => console.log(`vidserve: ${l}`),
      });
      console.log(`vidserve: ready (logs in ${server.logDir})`);
      let stopping = false;
      const stop = (sig: string) => {
        if (stopping) return;
        stopping = true;
        console.log(`vidserve: ${sig} received; finishing in-flight requests`);
        server.close().then(
          () => {
            console.log('vidserve: stopped');
            process.exit(0);
          },
          (e: Error) => {
            console.error(`vidserve: shutdown failed: ${e.message}`);
            process.exit(1);
          },
        );
      };
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
    });
}
