// Locating and running the ffmpeg binary. Decoding always goes through pipes; callers own argument lists.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import { spawnViaHelper, startHelper } from './spawner.ts';

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

/** A running ffmpeg: a child process of ours, or one started by the spawner helper (spawner.ts). */
export interface FfmpegProcess extends EventEmitter {
  readonly stdout: Readable;
  readonly stderr: Readable;
  kill(signal?: NodeJS.Signals): boolean;
}

let viaHelper = false;

/**
 * Start ffmpeg through a small helper process from now on (in this thread): for processes holding a large heap (a
 * server with model sessions), where every fork() costs tens of ms. VIDSERVE_FFMPEG_DIRECT=1 turns it off.
 */
export function useSpawnerProcess(on = true): void {
  viaHelper = on && process.env.VIDSERVE_FFMPEG_DIRECT !== '1';
  if (viaHelper) startHelper();
}

/** Starts ffmpeg with stdout and stderr piped (no stdin). The final statistics line is kept. */
export function spawnFfmpeg(args: readonly string[], opts: { signal?: AbortSignal } = {}): FfmpegProcess {
  const bin = ffmpegPath();
  const full = ['-hide_banner', '-nostdin', '-nostats', ...args];
  if (viaHelper) return spawnViaHelper(bin, full, opts.signal);
  const child = spawn(bin, full, {
    stdio: ['ignore', 'pipe', 'pipe'],
    // Aborting kills ffmpeg; waitForExit then rejects with the AbortError.
    signal: opts.signal,
    killSignal: 'SIGKILL',
  }) as ChildProcessByStdio<null, Readable, Readable>;
  return child;
}

export interface FfmpegRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/**
 * ffmpeg's log, bounded: the head (stream information) and the tail (errors, final statistics) are kept, the middle
 * of a long log (e.g. one warning per damaged frame) is dropped.
 */
export class StderrLog {
  private head = '';
  private tail = '';
  private dropped = 0;
  constructor(
    private readonly headMax = 256 * 1024,
    private readonly tailMax = 64 * 1024,
  ) {}
  push(chunk: string): void {
    if (this.head.length < this.headMax) {
      const room = this.headMax - this.head.length;
      this.head += chunk.slice(0, room);
      chunk = chunk.slice(room);
    }
    if (!chunk) return;
    this.tail += chunk;
    if (this.tail.length > this.tailMax) {
      const cut = this.tail.length - this.tailMax;
      this.dropped += cut;
      this.tail = this.tail.slice(cut);
    }
  }
  /** The head only: complete as soon as ffmpeg has printed its stream information. */
  get start(): string {
    return this.head;
  }
  toString(): string {
    return this.dropped ? `${this.head}\n[... ${this.dropped} characters of ffmpeg log omitted ...]\n${this.tail}` : this.head + this.tail;
  }
}

/** Resolves when the process has exited and both output pipes are drained. Spawn failures reject. */
export function waitForExit(child: FfmpegProcess, log = new StderrLog()): Promise<FfmpegRun> {
  return new Promise((resolve, reject) => {
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (c: string) => log.push(c));
    child.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') reject(new Error(`ffmpeg not found at '${ffmpegPath()}' (set FFMPEG_PATH)`));
      else reject(err);
    });
    child.once('close', (code, signal) => resolve({ code, signal, stderr: log.toString() }));
  });
}

/** Runs ffmpeg to completion, ignoring stdout, and returns its stderr (where ffmpeg reports stream info and stats). */
export async function runFfmpeg(args: readonly string[], opts: { signal?: AbortSignal } = {}): Promise<FfmpegRun> {
  const child = spawnFfmpeg(args, opts);
  child.stdout.resume();
  return waitForExit(child);
}

/** The last few meaningful lines of ffmpeg's stderr, for error messages. */
export function stderrTail(stderr: string, lines = 2): string {
  const meaningful = stderr
    .split(/\r?\n|\r/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('frame=') && !/^(video|Stream mapping|Press \[q\])/.test(l));
  return meaningful.slice(-lines).map(cleanLogLine).join(' | ');
}

/**
 * "[matroska,webm @ 0x55d0c0] Read error" -> "matroska,webm: Read error" (addresses mean nothing to users), and
 * "file:/tmp/vidserve-x/input: Invalid data" -> "Invalid data": the input is a server-side temporary file that the
 * messages name otherwise (what the user sent), and its path is no business of a client.
 */
export function cleanLogLine(line: string): string {
  return line
    .replace(/\[([^\]@]+?) @ 0x[0-9a-f]+\] /gi, '$1: ')
    .replace(/^(?:file:)?\/[^:]*: /, '')
    .trim();
}

let rtspTimeout: Promise<string> | undefined;

/**
 * The rtsp demuxer's socket read timeout (µs) in the ffmpeg we run: FFmpeg 5 renamed `-stimeout` to `-timeout`
 * (which had meant the listen timeout), so each name is refused or misread by the other's versions. Asked once.
 */
export function rtspReadTimeoutOption(): Promise<string> {
  rtspTimeout ??= (async () => {
    const child = spawnFfmpeg(['-h', 'demuxer=rtsp']);
    let help = '';
    child.stdout.on('data', (c: Buffer) => (help += c.toString()));
    await waitForExit(child);
    return /^\s*-stimeout\s/m.test(help) ? '-stimeout' : '-timeout';
  })();
  return rtspTimeout;
}
