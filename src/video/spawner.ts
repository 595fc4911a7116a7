// Starting ffmpeg from a small helper process instead of from the server. fork() copies the page tables of the
// process that spawns: from the server (~1 GB RSS with its model sessions) one ffmpeg start costs ~35 ms of CPU and
// latency, from a ~40 MB process ~3 ms. The helper (spawner-child.cjs) is started once per thread, on first use.
//
// No data goes through the helper: ffmpeg's stdout and stderr are unix socket connections to this thread, so the
// frames arrive here exactly as through a pipe. The helper only reports the exit status and kills on request.
import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { FfmpegInterruptedError } from './interrupted.ts';

const CHILD = fileURLToPath(new URL('./spawner-child.cjs', import.meta.url));

interface Exit {
  id: number;
  exit?: [number | null, NodeJS.Signals | null];
  error?: string;
  code?: string;
}

/** An ffmpeg run through the helper, shaped like the ChildProcess fields decoding uses. */
export class RemoteProcess extends EventEmitter {
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  private open = 2;
  private sockets: Socket[] = [];
  private exit: [number | null, NodeJS.Signals | null] | undefined;
  private done = false;

  constructor(
    readonly id: number,
    private readonly owner: Spawner,
  ) {
    super();
  }

  /** ffmpeg is always killed with SIGKILL (as the direct spawn's killSignal). */
  kill(): boolean {
    if (this.exit || this.done) return false;
    this.owner.kill(this.id);
    return true;
  }

  /** A connection from ffmpeg for fd 1 or 2 (the rest of the header's chunk first). */
  attach(role: 'out' | 'err', socket: Socket, rest: Buffer): void {
    if (this.done) {
      destroyQuietly(socket);
      return;
    }
    this.sockets.push(socket);
    const into = role === 'out' ? this.stdout : this.stderr;
    if (rest.length) into.write(rest);
    socket.pipe(into);
    socket.once('close', () => {
      if (--this.open === 0) this.maybeClose();
    });
  }

  exited(m: Exit): void {
    if (m.error !== undefined) {
      this.fail(Object.assign(new Error(m.error), { code: m.code }));
      return;
    }
    this.exit = m.exit;
    this.maybeClose();
  }

  /** Fails the run (helper gone, spawn error, abort): 'error', then 'close' once. */
  fail(err: Error): void {
    if (this.done) return;
    this.emit('error', err);
    this.finish(null, 'SIGKILL');
  }

  private maybeClose(): void {
    if (this.exit && this.open === 0) this.finish(...this.exit);
  }

  private finish(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.done) return;
    this.done = true;
    // After a failure ffmpeg may still be connected: stop its output here.
    for (const s of this.sockets) {
      s.unpipe();
      destroyQuietly(s);
    }
    if (!this.stdout.writableEnded) this.stdout.end();
    if (!this.stderr.writableEnded) this.stderr.end();
    // 'close' after both streams have delivered everything, as with a child process.
    let ends = 0;
    const closed = (): void => {
      if (++ends < 2) return;
      // Until then the job keeps the helper's channel referenced (an unread stdout waits, as with a child process).
      this.owner.forget(this.id);
      this.emit('close', code, signal);
    };
    for (const s of [this.stdout, this.stderr]) {
      if (s.readableEnded) closed();
      else s.once('end', closed);
    }
  }
}

function destroyQuietly(s: Socket): void {
  s.on('error', () => {});
  s.destroy();
}

class Spawner {
  private child: ChildProcess;
  private server: Server;
  private dir: string;
  private jobs = new Map<number, RemoteProcess>();
  private nextId = 1;
  private listening: Promise<void>;
  dead = false;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'vidserve-spawn-'));
    const socketPath = join(this.dir, 's');
    this.server = createServer((s) => this.accept(s));
    this.listening = new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(socketPath, () => resolve());
    });
    this.server.on('error', () => {});
    this.server.unref();
    // execArgv [] : the helper is plain CommonJS, it needs none of this process's loader flags.
    this.child = fork(CHILD, [socketPath], { execArgv: [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'], serialization: 'json' });
    this.child.unref();
    (this.child.channel as { unref?: () => void } | undefined)?.unref?.();
    this.child.on('message', (m: Exit) => this.jobs.get(m.id)?.exited(m));
    const died = (why: string): void => {
      if (this.dead) return;
      this.dead = true;
      this.server.close();
      rmSync(this.dir, { recursive: true, force: true });
      // Not the video's fault: callers may run the job again (a new helper starts on the next spawn).
      for (const job of [...this.jobs.values()]) job.fail(new FfmpegInterruptedError(`ffmpeg spawner ${why}`));
    };
    this.child.once('error', (e) => died(`failed: ${e.message}`));
    this.child.once('exit', (code, signal) => died(`exited (${signal ?? code})`));
  }

  spawn(bin: string, args: readonly string[], signal?: AbortSignal): RemoteProcess {
    const job = new RemoteProcess(this.nextId++, this);
    this.jobs.set(job.id, job);
    // While a run is in progress its helper must stay; idle, neither keeps the process alive.
    if (this.jobs.size === 1) this.ref(true);
    const abort = (): void => {
      job.kill();
      job.fail(Object.assign(new Error('The operation was aborted'), { name: 'AbortError', code: 'ABORT_ERR', cause: signal?.reason }));
    };
    if (signal?.aborted) {
      process.nextTick(abort);
      return job;
    }
    signal?.addEventListener('abort', abort, { once: true });
    job.once('close', () => signal?.removeEventListener('abort', abort));
    this.listening.then(
      () => {
        try {
          this.child.send({ id: job.id, bin, args });
        } catch (e) {
          job.fail(new Error(`ffmpeg spawner: ${(e as Error).message}`));
        }
      },
      (e: Error) => job.fail(new Error(`ffmpeg spawner socket: ${e.message}`)),
    );
    return job;
  }

  kill(id: number): void {
    if (!this.dead && this.child.connected) {
      try {
        this.child.send({ kill: id });
      } catch {
        // The helper is gone; its exit fails the job.
      }
    }
  }

  forget(id: number): void {
    this.jobs.delete(id);
    if (this.jobs.size === 0) this.ref(false);
  }

  private ref(on: boolean): void {
    const channel = this.child.channel as { ref?: () => void; unref?: () => void } | undefined;
    if (on) channel?.ref?.();
    else channel?.unref?.();
  }

  private accept(s: Socket): void {
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const nl = head.indexOf(10);
      if (nl < 0) {
        if (head.length > 64) s.destroy();
        return;
      }
      s.removeListener('data', onData);
      s.pause();
      const [id, role] = head.subarray(0, nl).toString('latin1').split(' ');
      const job = this.jobs.get(Number(id));
      if (!job || (role !== 'out' && role !== 'err')) {
        s.destroy();
        return;
      }
      job.attach(role, s, head.subarray(nl + 1));
    };
    s.on('data', onData);
    s.on('error', () => s.destroy());
  }
}

let spawner: Spawner | undefined;

/** Starts this thread's helper now (else on first use), so that the first request does not wait for it. */
export function startHelper(): void {
  if (!spawner || spawner.dead) spawner = new Spawner();
}

/** Runs `bin args` through this thread's helper process (started on first use, restarted if it died). */
export function spawnViaHelper(bin: string, args: readonly string[], signal?: AbortSignal): RemoteProcess {
  startHelper();
  return spawner!.spawn(bin, args, signal);
}
