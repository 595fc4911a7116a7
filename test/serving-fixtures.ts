// Shared setup for the serving tests: converted synthetic-weight models in a temp dir, a small preprocessing
// pipeline for the tiny model, server start helpers and plain HTTP / gRPC clients.
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { writeModel } from '../src/paddle/models/index.ts';
import { convertModel } from '../src/paddle/convert.ts';
import { parseServingConfig } from '../src/serving/config.ts';
import { startServer, type RunningServer, type ServeOptions } from '../src/serving/server.ts';
import { pipelineClientConstructor } from '../src/protocol/proto.ts';
import type { PipelineRequest, PipelineResponse } from '../src/protocol/types.ts';
import type { PipelineSpec } from '../src/video/pipelines.ts';
import { renderTestClip } from '../src/cli/demo.ts';

/** PP-TSM's pipeline shrunk to the tiny model's input: 2 segments of 16x16. */
export const TINY_PIPELINE: PipelineSpec = {
  name: 'tiny',
  ops: [
    { op: 'Sampler', args: { num_seg: 2, seg_len: 1, valid_mode: true } },
    { op: 'Scale', args: { short_size: 16 } },
    { op: 'CenterCrop', args: { target_size: 16 } },
    { op: 'Image2Array' },
    { op: 'Normalization', args: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } },
  ],
};

export const TINY_LABELS = ['abseiling', "air_drumming", 'archery', 'arm_wrestling', 'assembling_computer'];

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), `vidserve-${prefix}-`));
}

const converted = new Map<string, Promise<string>>();

/** A serving dir converted (by vidserve's own converter) from a synthetic-weight model; cached per process. */
export function servingDir(model: 'tiny' | 'pptsm', opts: { labelList?: string } = {}): Promise<string> {
  const key = `${model}:${opts.labelList ?? ''}`;
  let p = converted.get(key);
  if (!p) {
    p = (async () => {
      const root = tempDir(`model-${model}`);
      const src = path.join(root, 'inference');
      const { modelFile, paramsFile } = await writeModel(model, src, 0);
      const serverDir = path.join(root, 'serving_server');
      await convertModel({
        dirname: src,
        modelFilename: path.basename(modelFile),
        paramsFilename: path.basename(paramsFile),
        servingServer: serverDir,
        servingClient: path.join(root, 'serving_client'),
        fetchAlias: ['outputs'],
        labelList: opts.labelList,
      });
      return serverDir;
    })();
    converted.set(key, p);
  }
  return p;
}

let clip: Promise<string> | undefined;

/** A 2 s 320x240 mpeg4 AVI test pattern (example.avi's size and codec), rendered by ffmpeg once per process. */
export function testClip(): Promise<string> {
  clip ??= (async () => {
    const file = path.join(tempDir('clip'), 'clip.avi');
    await renderTestClip(file);
    return file;
  })();
  return clip;
}

/** The tiny model's label list file (5 Kinetics names). */
export function tinyLabelFile(): string {
  const dir = tempDir('labels');
  const f = path.join(dir, 'labels.txt');
  writeFileSync(f, TINY_LABELS.map((n, i) => `${i} ${n}`).join('\n') + '\n');
  return f;
}

export interface OpExtra {
  concurrency?: number;
  queue_size?: number;
  batch_size?: number;
  auto_batching_timeout?: number;
  timeout?: number;
  topk?: number;
  preprocess_workers?: number;
}

/** Starts a real server on free ports with a config built like the seed's YAML. */
export async function startTestServer(
  modelDir: string,
  o: { op?: OpExtra; maxBodyMb?: number; pipeline?: ServeOptions['pipeline']; labelList?: string; logDir?: string; webUi?: boolean; top?: Record<string, unknown> } = {},
): Promise<RunningServer> {
  const doc = {
    ...o.top,
    worker_num: 1,
    http_port: 0,
    rpc_port: 0,
    ...(o.maxBodyMb ? { max_body_size_mb: o.maxBodyMb } : {}),
    ...(o.webUi === undefined ? {} : { web_ui: o.webUi }),
    dag: { is_thread_op: true },
    op: {
      video: {
        concurrency: 1,
        preprocess_workers: 1,
        ...o.op,
        local_service_conf: { model_config: modelDir, device_type: 0, devices: '', client_type: 'local_predictor', fetch_list: ['outputs'] },
      },
    },
  };
  const config = parseServingConfig(doc, '<test config>');
  return startServer({
    config,
    pipeline: o.pipeline ?? TINY_PIPELINE,
    labelList: o.labelList,
    host: '127.0.0.1',
    logDir: o.logDir ?? tempDir('logs'),
  });
}

export function framesBody(frames: Uint8Array, shape: readonly number[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    key: ['frames', 'frames_shape'],
    value: [Buffer.from(frames.buffer, frames.byteOffset, frames.byteLength).toString('base64'), `(${shape.join(', ')})`],
    ...extra,
  });
}

/** Deterministic RGB frames [T,H,W,3]. */
export function syntheticFrames(T: number, H: number, W: number, seed = 1): Uint8Array {
  const out = new Uint8Array(T * H * W * 3);
  let s = seed >>> 0;
  for (let i = 0; i < out.length; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

export async function postJson(port: number, body: string | Buffer, opName = 'video', headers: Record<string, string> = {}): Promise<{ status: number; json: PipelineResponse }> {
  const r = await fetch(`http://127.0.0.1:${port}/${opName}/prediction`, { method: 'POST', body: typeof body === 'string' ? body : new Uint8Array(body), headers });
  const text = await r.text();
  return { status: r.status, json: JSON.parse(text) as PipelineResponse };
}

export function grpcClient(port: number): { call(req: PipelineRequest): Promise<PipelineResponse>; close(): void } {
  const C = pipelineClientConstructor();
  const c = new C(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
    'grpc.max_send_message_length': 512 * 1024 * 1024,
    'grpc.max_receive_message_length': 512 * 1024 * 1024,
  });
  return {
    call: (req) =>
      new Promise((resolve, reject) => {
        (c as unknown as { inference(r: PipelineRequest, cb: (e: Error | null, r: PipelineResponse) => void): void }).inference(req, (e, r) => (e ? reject(e) : resolve(r)));
      }),
    close: () => c.close(),
  };
}

export function readLogLines(dir: string, file: 'pipeline.log' | 'pipeline.log.wf'): Array<Record<string, unknown>> {
  let text = '';
  try {
    text = readFileSync(path.join(dir, file), 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
