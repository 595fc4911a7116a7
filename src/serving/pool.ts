// A fixed group of worker threads running worker.ts (worker.js when compiled), FIFO for the tasks no worker has.
// Each worker holds up to `depth` tasks: one running, the others waiting in the worker itself (the infer group's
// depth 2 keeps the next input beside the session, see worker.ts).
import { Worker } from 'node:worker_threads';
import { ServingError, ErrorCode } from '../errors.ts';
import type { WorkerInit, WorkerReady, WorkerReply, WorkerTask } from './messages.ts';

// The worker module beside this one, by the extension this module runs with: the compiled package loads dist's .js,
// a checkout under tsx its .ts sources.
const SOURCES = import.meta.url.endsWith('.ts');
const WORKER_URL = new URL(SOURCES ? './worker.ts' : './worker.js', import.meta.url);

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type TaskBody = DistributiveOmit<Extract<WorkerTask, { kind: 'prepare' | 'infer' | 'stream' }>, 'id'>;

/** Receives a task's partial results; `reply` posts a message back to the worker running the task. */
export type PartialHandler = (partial: unknown, reply: (msg: { kind: 'credit' }) => void) => void;

interface Pending {
  body: TaskBody;
  transfer: ArrayBuffer[];
  onPartial?: PartialHandler;
  resolve: (r: unknown) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  /** Tasks posted to this worker and not answered yet, by task id, oldest first (the first one is running). */
  tasks: Map<number, Pending>;
}

export interface GroupReady {
  provider?: 'cpu' | 'cuda';
  inputNames?: string[];
  outputNames?: string[];
  warnings: string[];
}

/**
 * TypeScript sources: `execArgv: ['--import', 'tsx']` does not reach worker threads on Node 20, so a small bootstrap
 * registers tsx's hooks (resolved from this file, a dev dependency) inside the worker and then imports worker.ts.
 */
function sourcesBootstrap(): string {
  const tsx = import.meta.resolve('tsx/esm/api');
  return `import(${JSON.stringify(tsx)})
  .then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER_URL.href)}); })
  .catch((e) => { require('node:worker_threads').parentPort.postMessage({ ready: false, error: String(e && e.stack || e) }); });`;
}

function spawn(init: WorkerInit, name: string): Worker {
  if (SOURCES) return new Worker(sourcesBootstrap(), { eval: true, workerData: init, name });
  return new Worker(WORKER_URL, { workerData: init, name });
}

/** Waits between attempts to replace a lost worker: 0.5 s doubling up to 30 s, retried for as long as the server runs. */
export const RESTART_BACKOFF_MS = { first: 500, max: 30_000 };

/** How long an infer worker may take to finish its run and release its session when the group closes. */
const CLOSE_GRACE_MS = 30_000;

export type GroupLog = (level: 'info' | 'warn' | 'error', msg: string) => void;

export interface GroupOptions {
  /**
   * Tasks a worker holds at once (default 1). With 2, a worker that finishes a task starts its next one at once,
   * without waiting for this thread to answer and post it (this thread may be busy with other requests' bytes).
   */
  depth?: number;
}

export class WorkerGroup {
  private slots: Slot[] = [];
  private queue: Pending[] = [];
  private nextId = 1;
  private closed = false;
  private retryTimers = new Set<NodeJS.Timeout>();
  /** Why the last replacement attempt failed; null once a worker started again. */
  private startError: Error | null = null;
  /** Receives the buffers workers hand back with their replies. */
  onReturned: ((buf: ArrayBuffer) => void) | undefined;
  /** Called when a replacement worker is ready, or failed to start (a user of `size` has news). */
  onChange: (() => void) | undefined;
  /** Lost workers and their replacements (the server writes them to its log). */
  log: GroupLog = () => {};

  private constructor(
    readonly name: string,
    private readonly init: WorkerInit,
    private readonly depth: number,
  ) {}

  /** Starts `size` workers and waits until each reports ready (or the first failure, which stops them all). */
  static async start(name: string, size: number, init: WorkerInit, o: GroupOptions = {}): Promise<{ group: WorkerGroup; ready: GroupReady }> {
    const group = new WorkerGroup(name, init, Math.max(1, o.depth ?? 1));
    const readies: WorkerReady[] = [];
    try {
      for (let i = 0; i < size; i++) readies.push(await group.addSlot(i));
    } catch (e) {
      await group.close();
      throw e;
    }
    const first = readies[0] as Extract<WorkerReady, { ready: true }> | undefined;
    return {
      group,
      ready: {
        provider: first?.provider,
        inputNames: first?.inputNames,
        outputNames: first?.outputNames,
        warnings: readies.flatMap((r) => (r.ready ? (r.warnings ?? []) : [])),
      },
    };
  }

  private addSlot(index: number): Promise<WorkerReady> {
    return new Promise((resolve, reject) => {
      if (this.closed) {
        reject(new ServingError(ErrorCode.CLOSED_ERROR, 'server is shutting down'));
        return;
      }
      const worker = spawn(this.init, `vidserve-${this.name}-${index}`);
      const slot: Slot = { worker, tasks: new Map() };
      let started = false;
      worker.once('message', (m: WorkerReady) => {
        if (!m.ready) {
          reject(new Error(m.error));
          void worker.terminate();
          return;
        }
        if (this.closed) {
          reject(new ServingError(ErrorCode.CLOSED_ERROR, 'server is shutting down'));
          void this.stop(worker);
          return;
        }
        started = true;
        this.slots.push(slot);
        worker.on('message', (r: WorkerReply) => this.onReply(slot, r));
        resolve(m);
        this.pump();
      });
      worker.on('error', (e) => {
        if (!started) reject(e);
        else this.onCrash(slot, e);
      });
      worker.on('exit', (code) => {
        if (!started) reject(new Error(`${this.name} worker exited with code ${code} before it was ready`));
        else if (!this.closed) this.onCrash(slot, new Error(`${this.name} worker exited with code ${code}`));
      });
    });
  }

  /** Tasks held by workers plus queued tasks. */
  get load(): number {
    return this.queue.length + this.slots.reduce((n, s) => n + s.tasks.size, 0);
  }

  /** Tasks the workers up now can hold (size x depth). */
  get capacity(): number {
    return this.slots.length * this.depth;
  }

  /** Workers up now. */
  get size(): number {
    return this.slots.length;
  }

  /**
   * Set while no worker is up and the last attempt to start one failed: waiting would be open-ended, so callers
   * answer at once (the group keeps retrying with backoff and clears it when a worker is back).
   */
  get unavailable(): ServingError | null {
    if (this.slots.length > 0 || !this.startError) return null;
    return new ServingError(
      ErrorCode.NO_SERVICE,
      `no ${this.name} worker is running: restarting it failed (${this.startError.message}); retrying with backoff, try again later`,
    );
  }

  /** Terminates one worker as if it had crashed: the fault path, for tests only (no request or route reaches it). */
  async crashOneForTest(): Promise<void> {
    const slot = this.slots[0];
    if (slot) await slot.worker.terminate();
  }

  /**
   * Runs a task on the next free worker. Aborting `signal` drops a queued task, or asks the worker to cancel the
   * task (prepare tasks stop their ffmpeg; an infer task waiting in its worker is dropped; a model run cannot be
   * interrupted and just completes).
   */
  run<R>(body: TaskBody, transfer: ArrayBuffer[] = [], signal?: AbortSignal, onPartial?: PartialHandler): Promise<R> {
    if (this.closed) return Promise.reject(new ServingError(ErrorCode.CLOSED_ERROR, 'server is shutting down'));
    const down = this.unavailable;
    if (down) return Promise.reject(down);
    return new Promise<R>((resolve, reject) => {
      const p: Pending = { body, transfer, onPartial, resolve: resolve as (r: unknown) => void, reject };
      this.queue.push(p);
      signal?.addEventListener(
        'abort',
        () => {
          const qi = this.queue.indexOf(p);
          if (qi >= 0) {
            this.queue.splice(qi, 1);
            reject(new ServingError(ErrorCode.TIMEOUT, 'cancelled before it started'));
            return;
          }
          for (const slot of this.slots) {
            for (const [id, t] of slot.tasks) if (t === p) slot.worker.postMessage({ kind: 'abort', id });
          }
        },
        { once: true },
      );
      this.pump();
    });
  }

  /** Gives queued tasks to workers: idle workers first, then a second task to each, up to `depth`. */
  private pump(): void {
    for (let held = 0; held < this.depth; held++) {
      for (const slot of this.slots) {
        if (this.queue.length === 0) return;
        if (slot.tasks.size > held) continue;
        const p = this.queue.shift()!;
        const id = this.nextId++;
        slot.tasks.set(id, p);
        slot.worker.postMessage({ ...p.body, id }, p.transfer);
      }
    }
  }

  private onReply(slot: Slot, r: WorkerReply): void {
    if (r.returned) this.onReturned?.(r.returned);
    const p = slot.tasks.get(r.id);
    if (!p) return;
    if ('partial' in r) {
      const id = r.id;
      p.onPartial?.(r.partial, (msg) => {
        if (slot.tasks.get(id) === p) slot.worker.postMessage({ ...msg, id });
      });
      return;
    }
    slot.tasks.delete(r.id);
    if (r.ok === true) p.resolve(r.result);
    else p.reject(new ServingError(r.code, r.message));
    this.pump();
  }

  /** A crashed worker fails its task with 10000 and is replaced, so one bad request cannot take the op down. */
  private onCrash(slot: Slot, e: Error): void {
    const i = this.slots.indexOf(slot);
    if (i < 0) return;
    this.slots.splice(i, 1);
    for (const p of slot.tasks.values()) p.reject(new ServingError(ErrorCode.UNKNOWN, `${this.name} worker failed: ${e.message}`));
    slot.tasks.clear();
    if (this.closed) return;
    this.log('error', `${this.name} worker lost (${e.message}); starting a replacement (${this.slots.length} left)`);
    this.replace(i, 1);
  }

  /** Starts a replacement for slot `index`; a failed start is logged and retried with backoff while the group runs. */
  private replace(index: number, attempt: number): void {
    this.addSlot(index).then(
      () => {
        this.startError = null;
        this.log('info', `${this.name} worker replaced${attempt > 1 ? ` after ${attempt} attempts` : ''} (${this.slots.length} up)`);
        this.onChange?.();
      },
      (err: Error) => {
        if (this.closed) return;
        const waitMs = Math.min(RESTART_BACKOFF_MS.max, RESTART_BACKOFF_MS.first * 2 ** (attempt - 1));
        this.startError = err;
        this.log('error', `${this.name} worker could not be restarted (attempt ${attempt}): ${err.message}; retrying in ${waitMs} ms (${this.slots.length} up)`);
        // With no worker left, queued tasks would wait for an unknown time: they are answered now.
        const down = this.unavailable;
        if (down) for (const p of this.queue.splice(0)) p.reject(down);
        this.onChange?.();
        const timer = setTimeout(() => {
          this.retryTimers.delete(timer);
          this.replace(index, attempt + 1);
        }, waitMs);
        this.retryTimers.add(timer);
      },
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.retryTimers) clearTimeout(t);
    this.retryTimers.clear();
    for (const p of this.queue.splice(0)) p.reject(new ServingError(ErrorCode.CLOSED_ERROR, 'server is shutting down'));
    await Promise.all(this.slots.map((s) => this.stop(s.worker)));
    this.slots = [];
  }

  /**
   * Ends one worker. An infer worker is asked to close and exits by itself once its run ends and its session is
   * released: terminating a thread while it is inside onnxruntime's native code aborts the whole process
   * ("terminate called after throwing an instance of 'Napi::Error'"). Terminated only if it has not exited in time.
   */
  private async stop(worker: Worker): Promise<void> {
    if (this.init.role !== 'infer') {
      await worker.terminate();
      return;
    }
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage({ kind: 'close' });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), CLOSE_GRACE_MS)));
    if ((await Promise.race([exited, late])) === 'late') await worker.terminate();
    clearTimeout(timer);
  }
}
