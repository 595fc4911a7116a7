// `vidserve preprocess`: the model input tensor PaddleVideo's serving preprocessing would build from a video,
// written as .npy with the batch axis the server feeds ([1,8,3,224,224] for PPTSM).
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { decodeAllFrames, probeVideo } from '../video/decode.ts';
import { writeNpy } from '../video/npy.ts';
import { loadPaddleVideoConfig } from '../video/paddlevideo-config.ts';
import { getPipeline, PIPELINES, preprocessFrames, preprocessVideo, sampleIndices } from '../video/pipelines.ts';
import type { Orientation } from '../video/rotate.ts';

const ORIENTATIONS: readonly Orientation[] = ['display', 'cv2-4.6', 'none'];

interface Options {
  name?: string;
  config?: string;
  input: string;
  out: string;
  stage: string;
  fullDecode?: boolean;
  orientation: string;
}

export function register(program: Command): void {
  program
    .command('preprocess')
    .description('write the model input tensor for a video as .npy (float32, shape as the server feeds it)')
    .option('-n, --name <model>', `pipeline: ${Object.keys(PIPELINES).join(' | ')} (default PPTSM)`)
    .option('-c, --config <file>', "a PaddleVideo config YAML: its INFERENCE section's helper and arguments give the pipeline")
    .requiredOption('-i, --input <video>', 'video file (any container/codec ffmpeg reads)')
    .requiredOption('--out <file.npy>', 'output .npy file')
    .option('--stage <stage>', "'float32' (normalized model input) or 'uint8' (crops before Normalization)", 'float32')
    .option('--full-decode', "decode every frame first, as the seed's client does (default: decode only sampled frames)")
    .option('--orientation <mode>', "rotation metadata: 'display', 'cv2-4.6' (OpenCV 4.6.0's reversed turn) or 'none'", 'display')
    .action(async (o: Options) => {
      if (o.stage !== 'float32' && o.stage !== 'uint8') throw new Error(`--stage must be 'float32' or 'uint8', got '${o.stage}'`);
      if (!ORIENTATIONS.includes(o.orientation as Orientation))
        throw new Error(`--orientation must be one of ${ORIENTATIONS.join(', ')}, got '${o.orientation}'`);
      const orientation = o.orientation as Orientation;
      if (o.name !== undefined && o.config !== undefined) throw new Error('give -n or -c, not both');
      const spec = o.config !== undefined ? loadPaddleVideoConfig(o.config).pipeline : getPipeline(o.name ?? 'PPTSM');
      const t0 = performance.now();
      const info = await probeVideo(o.input, { orientation });
      const stage = o.stage;
      let tensor;
      let framesLen: number | undefined;
      if (o.fullDecode) {
        const frames = await decodeAllFrames(o.input, { orientation });
        framesLen = frames.T;
        tensor = preprocessFrames(spec, frames, { stage });
      } else {
        tensor = await preprocessVideo(spec, o.input, { stage, orientation });
      }
      const batched = { data: tensor.data, dims: [1, ...tensor.dims] } as Parameters<typeof writeNpy>[0];
      await writeFile(o.out, writeNpy(batched));
      const ms = performance.now() - t0;
      const lines = [
        `video: ${info.width}x${info.height}, ${info.frames} frames (cv2 count), ${info.fps} fps, codec ${info.codec}` +
          (info.rotation ? `, rotated ${info.rotation}°` : ''),
      ];
      if (framesLen !== undefined) lines.push(`decoded frames: ${framesLen}, sampled indices: [${sampleIndices(spec, framesLen).join(', ')}]`);
      lines.push(`${spec.name} ${stage} [${batched.dims.join(', ')}] -> ${o.out} (${ms.toFixed(0)} ms)`);
      process.stderr.write(lines.join('\n') + '\n');
    });
}
