// `vidserve serve -n PPTSM -c configs/PP-TSM.yaml`: the seed's `recognition_web_service.py -n PPTSM -c ...`.
import type { Command } from 'commander';
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
    .option('-n, --name <model>', `preprocessing pipeline: ${MODELS.join(' | ')} (default: the op's paddlevideo_config, else PPTSM)`)
    .option('-c, --config <file>', 'pipeline config (Paddle Serving YAML)', 'configs/PP-TSM.yaml')
    .option('--label_list <file>', "label list, '<index> <name>' per line (default: op label_list or the serving dir's label_list.txt)")
    .option('--strict-device', 'fail instead of falling back to the CPU when the configured GPU is unavailable')
    .option('--http_port <port>', 'override http_port (0 = any free port)', port('--http_port'))
    .option('--rpc_port <port>', 'override rpc_port (0 = any free port)', port('--rpc_port'))
    .option('--host <addr>', 'address to listen on', '0.0.0.0')
    .action(async (o: { name?: string; config: string; label_list?: string; strictDevice?: boolean; http_port?: number; rpc_port?: number; host: string }) => {
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
