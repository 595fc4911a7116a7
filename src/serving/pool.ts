// A fixed group of worker threads running worker.ts, one task per worker at a time, FIFO for the rest.
// Workers are TypeScript; they load through tsx's ESM hook so this works under `npx vidserve` and `tsx --test`.
import { Worker } from 'node:worker_threads';
import { ServingError, ErrorCode } from '../errors.ts';
import type { WorkerInit, WorkerReady, WorkerReply, WorkerTask } from './messages.ts';

const WORKER_URL = new URL('./worker.ts', import.meta.url).href;
// tsx's ESM hooks, resolved from this file so the working directory does not matter.
const TSX_API = import.meta.resolve('tsx/esm/api');

type DistributiveOmit<T, K extends keyof any> = T extends unknown ? Omit<T, K> : never;
export type TaskBody = DistributiveOmit<Extract<WorkerTask, { kind: 'prepare' | 'infer' }>, 'id'>;

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
  busy: Pending | null;
  id: number;
}

export interface GroupReady {
  provider?: 'cpu' | 'cuda';
  inputNames?: string[];
  outputNames?: string[];
  warnings: string[];
}

/**
 * Workers are TypeScript. `execArgv: ['--import', 'tsx']` does not reach worker threads on Node 20, so a small
 * bootstrap registers tsx's hooks inside the worker and then imports worker.ts; this works the same under
 * `npx vidserve` (bin → tsx) and under `tsx --test`.
 */
const BOOTSTRAP = `import(${JSON.stringify(TSX_API)})
  .then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER_URL)}); })
  .catch((e) => { require('node:worker_threads').parentPort.postMessage({ ready: false, error: String(e && e.stack || e) }); });`;

function spawn(init: WorkerInit, name: string): Worker {
  return new Worker(BOOTSTRAP, { eval: true, workerData: init, name });
}

export class WorkerGroup {
  private slots: Slot[] = [];
  private queue: Pending[] = [];
  private nextId = 1;
  private closed = false;
  /** Receives the buffers workers hand back with their replies. */
  onReturned: ((buf: ArrayBuffer) => void) | undefined;

  private constructor(
    readonly name: string,
    private readonly init: WorkerInit,
  ) {}

  /** Starts `size` workers and waits until each reports ready (or the first failure, which stops them all). */
  static async start(name: string, size: number, init: WorkerInit): Promise<{ group: WorkerGroup; ready: GroupReady }> {
    const group = new WorkerGroup(name, init);
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
      const worker = spawn(this.init, `vidserve-${this.name}-${index}`);
      const slot: Slot = { worker, busy: null, id: 0 };
      let started = false;
      worker.once('message', (m: WorkerReady) => {
        if (!m.ready) {
          reject(new Error(m.error));
          void worker.terminate();
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

  /** Busy workers plus queued tasks. */
  get load(): number {
    return this.queue.length + this.slots.filter((s) => s.busy).length;
  }

  get size(): number {
    return this.slots.length;
  }

  /**
   * Runs a task on the next free worker. Aborting `signal` drops a queued task, or asks the worker to cancel a
   * running one (prepare tasks stop their ffmpeg; a model run cannot be interrupted and just completes).
   */
  run<R>(body: TaskBody, transfer: ArrayBuffer[] = [], signal?: AbortSignal, onPartial?: PartialHandler): Promise<R> {
    if (this.closed) return Promise.reject(new ServingError(ErrorCode.CLOSED_ERROR, 'server is shutting down'));
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
          const slot = this.slots.find((s) => s.busy === p);
          if (slot && body.kind === 'prepare') slot.worker.postMessage({ kind: 'abort', id: slot.id });
        },
        { once: true },
      );
      this.pump();
    });
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.busy) continue;
      const p = this.queue.shift()!;
      slot.busy = p;
      slot.id = this.nextId++;
      slot.worker.postMessage({ ...p.body, id: slot.id }, p.transfer);
    }
  }

  private onReply(slot: Slot, r: WorkerReply): void {
    if (r.returned) this.onReturned?.(r.returned);
    const p = slot.busy;
    if (!p || r.id !== slot.id) return;
    if ('partial' in r) {
      const id = r.id;
      p.onPartial?.(r.partial, (msg) => {
        if (slot.busy === p && slot.id === id) slot.worker.postMessage({ ...msg, id });
      });
      return;
    }
    slot.busy = null;
    if (r.ok === true) p.resolve(r.result);
    else p.reject(new ServingError(r.code, r.message));
    this.pump();
  }

  /** A crashed worker fails its task with 10000 and is replaced, so one bad request cannot take the op down. */
  private onCrash(slot: Slot, e: Error): void {
    const i = this.slots.indexOf(slot);
    if (i < 0) return;
    this.slots.splice(i, 1);
    slot.busy?.reject(new ServingError(ErrorCode.UNKNOWN, `${this.name} worker failed: ${e.message}`));
    slot.busy = null;
    if (!this.closed) {
      this.addSlot(i).catch(() => {
        // Could not replace it; the remaining workers keep serving.
      });
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new ServingError(ErrorCode.CLOSED_ERROR, 'server is shutting down'));
    await Promise.all(
      this.slots.map(async (s) => {
        s.worker.postMessage({ kind: 'close' });
        await s.worker.terminate();
      }),
    );
    this.slots = [];
  }
}
