// `vidserve client http|rpc`: the seed's pipeline_http_client.py / pipeline_rpc_client.py, same flags, same output.
import { readFile } from 'node:fs/promises';
import { Command, InvalidArgumentError, Option } from 'commander';
import { parse as parseYaml } from 'yaml';
import { VideoClient, DEFAULT_PORTS, type TransportKind } from '../client/client.ts';
import { readPrediction, readTimeline } from '../client/answer.ts';
import { formatTimeline } from '../protocol/timeline.ts';
import { listVideoFiles } from '../client/files.ts';
import { PredictionError, VideoClientError } from '../client/errors.ts';
import { parsePyJson, pyRepr } from '../client/pyrepr.ts';
import { responseToText } from '../client/prototext.ts';
import { buildRequest, type PredictMode } from '../client/payload.ts';

interface ClientFlags {
  input_file?: string;
  port_number?: number;
  config?: string;
  host: string;
  mode: PredictMode;
  topk?: number;
  timeout: number;
  json?: boolean;
  windows?: { window: number; stride?: number };
  threshold?: number;
}

/**
 * argparse accepts the seed's multi-letter short flag `-ptn`; commander only knows one-letter short flags, so
 * `-ptn 9993` / `-ptn=9993` become `--port_number …` before parsing (only for the client command).
 */
export function rewritePtnFlag(argv: string[]): void {
  if (!argv.slice(2).includes('client')) return;
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if (a === '-ptn') argv[i] = '--port_number';
    else if (a.startsWith('-ptn=')) argv[i] = '--port_number=' + a.slice(5);
  }
}

function positiveInt(name: string) {
  return (v: string): number => {
    if (!/^\d+$/.test(v) || Number(v) < 1) throw new InvalidArgumentError(`${name} must be a positive integer, got '${v}'`);
    return Number(v);
  };
}

function port(v: string): number {
  const n = positiveInt('port')(v);
  if (n > 65535) throw new InvalidArgumentError(`port must be at most 65535, got ${n}`);
  return n;
}

/** `--windows 2.5:1` (window 2.5 s, stride 1 s) or `--windows 2.5` (stride = window). */
export function windowsArg(v: string): { window: number; stride?: number } {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(?::\s*(\d+(?:\.\d+)?|\.\d+)\s*)?$/.exec(v);
  const window = m ? Number(m[1]) : NaN;
  const stride = m?.[2] !== undefined ? Number(m[2]) : undefined;
  if (!(window > 0) || (stride !== undefined && !(stride > 0))) throw new InvalidArgumentError(`--windows takes WINDOW[:STRIDE] in seconds, e.g. 2.5:1; got '${v}'`);
  return stride === undefined ? { window } : { window, stride };
}

function probability(v: string): number {
  const n = Number(v);
  if (!/^\s*[\d.]+\s*$/.test(v) || !(n >= 0 && n <= 1)) throw new InvalidArgumentError(`threshold must be a probability in 0..1, got '${v}'`);
  return n;
}

function seconds(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`timeout must be a positive number of seconds, got '${v}'`);
  return n;
}

/** Port from the seed's serving YAML (http_port / rpc_port) when -c is given and -ptn is not. */
async function portFromConfig(file: string, transport: TransportKind): Promise<number> {
  const key = transport === 'http' ? 'http_port' : 'rpc_port';
  let doc: unknown;
  try {
    doc = parseYaml(await readFile(file, 'utf8'));
  } catch (e) {
    throw new VideoClientError('BAD_CONFIG', `${file}: cannot read the serving config (${(e as Error).message.split('\n')[0]})`);
  }
  const p = (doc as Record<string, unknown> | null)?.[key];
  if (typeof p !== 'number' || !Number.isInteger(p) || p < 1 || p > 65535) {
    throw new VideoClientError('BAD_CONFIG', `${file}: ${key} is ${p === undefined ? 'missing' : JSON.stringify(p)}; give the port with -ptn`);
  }
  return p;
}

function portOption(what: string, def: number, key: string): Option {
  const opt = new Option('--port_number <port>', `${what} port (default ${def}, or the config's ${key} with -c)`).argParser(port);
  opt.flags = '-ptn, --port_number <port>'; // shown in --help as the seed spells it; parsed via rewritePtnFlag
  return opt;
}

function addClientCommand(parent: Command, name: 'http' | 'rpc'): void {
  const transport: TransportKind = name === 'http' ? 'http' : 'grpc';
  parent
    .command(name)
    .description(
      name === 'http'
        ? 'send videos to POST /video/prediction and print each answer as the seed\'s pipeline_http_client.py does'
        : 'send videos to PipelineService/inference over gRPC and print each answer as the seed\'s pipeline_rpc_client.py does',
    )
    .requiredOption('-i, --input_file <path>', 'a video file, or a directory: every .avi/.mp4 in it')
    .addOption(portOption(name === 'http' ? 'HTTP' : 'gRPC', DEFAULT_PORTS[transport], name === 'http' ? 'http_port' : 'rpc_port'))
    .option('-c, --config <yaml>', 'serving config (accepted as the seed does; its port is used when -ptn is not given)')
    .option('--host <host>', 'server host', '127.0.0.1')
    .addOption(
      new Option('--mode <mode>', "frames: decode every frame and send them (the seed's protocol); video: send the compressed file; path / url: -i names a file on the server's machine / a URL the server fetches (its config must allow them)")
        .choices(['frames', 'video', 'path', 'url'])
        .default('frames'),
    )
    .option('--windows <window:stride>', 'a timeline: the model on windows of WINDOW seconds every STRIDE seconds (sends the compressed video unless --mode path|url)', windowsArg)
    .option('--threshold <p>', 'with --windows: segments merge windows whose probability is at least p', probability)
    .option('--topk <k>', 'ask for the k best classes', positiveInt('topk'))
    .option('--timeout <seconds>', 'per-request timeout in seconds', seconds, 100)
    .option('--json', 'print one JSON line per file (label, prob, topk, latency_ms, response; or error) instead of the seed\'s output')
    .addHelpText(
      'after',
      `
Examples:
  vidserve client ${name} -i example.avi                    # the seed's pipeline_${name}_client.py -i example.avi
  vidserve client ${name} -i videos/ --mode video --json    # every .avi/.mp4 in videos/, compressed, one JSON line each
  vidserve client ${name} -i example.avi -ptn ${DEFAULT_PORTS[transport]} --host 10.0.0.5 --topk 5
  vidserve client ${name} -i match.mp4 --windows 2.5:1 --topk 3       # a timeline: windows of 2.5 s every 1 s
  vidserve client ${name} -i /data/videos/day.mp4 --mode path --windows 5:5 --threshold 0.6`,
    )
    .action(async (flags: ClientFlags) => {
      process.exitCode = await runClient(transport, flags);
    });
}

/** Sends every file; prints each answer; returns the exit code (0 when every file got an answer with err_no 0). */
export async function runClient(transport: TransportKind, flags: ClientFlags): Promise<number> {
  const tag = `vidserve client ${transport === 'http' ? 'http' : 'rpc'}`;
  // One line per failure, whatever the message holds.
  const fail = (what: string): void => console.error(`${tag}: ${what.replace(/\s*\n\s*/g, ' ')}`);
  let files: string[];
  let portNumber: number;
  try {
    portNumber = flags.port_number ?? (flags.config ? await portFromConfig(flags.config, transport) : DEFAULT_PORTS[transport]);
    // A path on the server or a URL is the server's to open.
    files = flags.mode === 'path' || flags.mode === 'url' ? [flags.input_file!] : await listVideoFiles(flags.input_file!);
    if (flags.threshold !== undefined && !flags.windows) throw new VideoClientError('BAD_OPTION', '--threshold goes with --windows');
  } catch (e) {
    fail((e as Error).message);
    return 1;
  }
  if (files.length === 0) {
    fail(`${flags.input_file}: no .avi or .mp4 files in this directory`);
    return 1;
  }
  const client = new VideoClient({ transport, host: flags.host, port: portNumber, timeoutMs: flags.timeout * 1000 });
  let failures = 0;
  try {
    for (const file of files) {
      const t0 = performance.now();
      try {
        if (flags.windows) {
          // Raw frames carry no timestamps: a timeline sends the compressed video.
          const mode = flags.mode === 'frames' ? 'video' : flags.mode;
          const req = await buildRequest(file, { mode, topk: flags.topk, windows: { ...flags.windows, threshold: flags.threshold } });
          const { response } = await client.infer(req);
          const latencyMs = performance.now() - t0;
          if (response.err_no !== 0) {
            if (flags.json) console.log(JSON.stringify({ file, transport, mode, latency_ms: Math.round(latencyMs * 10) / 10, response }));
            failures++;
            fail(`${file}: ${new PredictionError(response).message}`);
            continue;
          }
          const timeline = readTimeline(response);
          if (flags.json) console.log(JSON.stringify({ file, transport, mode, latency_ms: Math.round(latencyMs * 10) / 10, timeline }));
          else console.log(`${file}: ${formatTimeline(timeline)}`);
          continue;
        }
        const req = await client.buildRequest(file, { mode: flags.mode, topk: flags.topk });
        const { response, body } = await client.infer(req);
        const latencyMs = performance.now() - t0;
        if (flags.json) {
          const out: Record<string, unknown> = { file, transport, mode: flags.mode, latency_ms: Math.round(latencyMs * 10) / 10 };
          if (response.err_no === 0) Object.assign(out, readPrediction(response, flags.topk !== undefined));
          console.log(JSON.stringify({ ...out, response }));
        } else if (transport === 'http') {
          // The seed prints r.json(): the dict as Python shows it.
          console.log(pyRepr(parsePyJson(body ?? JSON.stringify(response))));
        } else {
          // The seed prints the protobuf Response message (text format), then print's newline.
          process.stdout.write(responseToText(response) + '\n');
        }
        if (response.err_no !== 0) {
          failures++;
          fail(`${file}: ${new PredictionError(response).message}`);
        } else if (!flags.json) {
          readPrediction(response); // an answer we cannot read is a failure too
        }
      } catch (e) {
        failures++;
        if (flags.json) {
          // Scripts get one JSON line per file either way.
          const err = e as Error & { code?: string };
          console.log(JSON.stringify({ file, transport, mode: flags.mode, error: { name: err.name, code: err.code, message: err.message } }));
        }
        fail(e instanceof VideoClientError && (e as { path?: string }).path ? e.message : `${file}: ${(e as Error).message}`);
      }
    }
  } finally {
    client.close();
  }
  return failures === 0 ? 0 : 1;
}

export function register(program: Command): void {
  rewritePtnFlag(process.argv);
  const client = program
    .command('client')
    .description('send videos to a running vidserve (or Paddle Serving) pipeline: `client http` or `client rpc`');
  addClientCommand(client, 'http');
  addClientCommand(client, 'rpc');
}
