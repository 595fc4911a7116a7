// Locating and running the ffmpeg binary. Decoding always goes through pipes; callers own argument lists.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Readable, Writable } from 'node:stream';

let cachedPath: string | undefined;

/**
 * The ffmpeg to run: $FFMPEG_PATH if set, else the binary of @ffmpeg-installer/ffmpeg, else `ffmpeg` on PATH.
 */
export function ffmpegPath(): string {
  if (cachedPath !== undefined) return cachedPath;
  const fromEnv = process.env.FFMPEG_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`FFMPEG_PATH=${fromEnv} does not exist`);
    return (cachedPath = fromEnv);
  }
  try {
    const require = createRequire(import.meta.url);
    const installer = require('@ffmpeg-installer/ffmpeg') as { path?: string };
    if (installer.path && existsSync(installer.path)) return (cachedPath = installer.path);
  } catch {
    // The installer throws on unsupported platforms; fall back to the system ffmpeg.
  }
  return (cachedPath = 'ffmpeg');
}

export type FfmpegProcess = ChildProcessByStdio<Writable | null, Readable, Readable>;

/** Starts ffmpeg with stdout and stderr piped (stdin piped only when asked). */
export function spawnFfmpeg(args: readonly string[], opts: { stdin?: boolean } = {}): FfmpegProcess {
  const bin = ffmpegPath();
  const child = spawn(bin, ['-hide_banner', '-nostdin', ...args], {
    stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  }) as FfmpegProcess;
  return child;
}

export interface FfmpegRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Resolves when the process has exited and both output pipes are drained. Spawn failures reject. */
export function waitForExit(child: FfmpegProcess, collectStderr = true): Promise<FfmpegRun> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    if (collectStderr) child.stderr.on('data', (c: Buffer) => chunks.push(c));
    else child.stderr.resume();
    child.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') reject(new Error(`ffmpeg not found at '${ffmpegPath()}' (set FFMPEG_PATH)`));
      else reject(err);
    });
    child.once('close', (code, signal) => resolve({ code, signal, stderr: Buffer.concat(chunks).toString('utf8') }));
  });
}

/** Runs ffmpeg to completion, ignoring stdout, and returns its stderr (where ffmpeg reports stream info and stats). */
export async function runFfmpeg(args: readonly string[]): Promise<FfmpegRun> {
  const child = spawnFfmpeg(args);
  child.stdout.resume();
  return waitForExit(child);
}

/** The last few meaningful lines of ffmpeg's stderr, for error messages. */
export function stderrTail(stderr: string, lines = 2): string {
  const meaningful = stderr
    .split(/\r?\n|\r/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('frame=') && !/^(video|Stream mapping|Press \[q\])/.test(l));
  return meaningful.slice(-lines).join(' | ');
}
