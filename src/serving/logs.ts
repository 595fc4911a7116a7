// Lines are written synchronously (one short line per request; nothing is lost on a crash).
// Paddle Serving writes PipelineServingLogs/pipeline.log (everything from info up) and pipeline.log.wf (warnings
// and errors) under the working directory; operators look there first, so vidserve keeps the same two files.
// Lines are pino JSON: one object per line, with `msg` written for people and the fields for tools.
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import pino, { type Logger } from 'pino';

export interface ServingLogs {
  logger: Logger;
  dir: string;
  /** Flushes and closes the files (call at shutdown). */
  close(): Promise<void>;
}

export const DEFAULT_LOG_DIR = 'PipelineServingLogs';

/** Opens pipeline.log and pipeline.log.wf in `dir` (default ./PipelineServingLogs), plus optional extra streams. */
export function openServingLogs(dir = path.resolve(DEFAULT_LOG_DIR), extra: pino.StreamEntry[] = []): ServingLogs {
  mkdirSync(dir, { recursive: true });
  const info = pino.destination({ dest: path.join(dir, 'pipeline.log'), sync: true, mkdir: true, append: true });
  const wf = pino.destination({ dest: path.join(dir, 'pipeline.log.wf'), sync: true, mkdir: true, append: true });
  const streams: pino.StreamEntry[] = [
    { level: 'info', stream: info },
    { level: 'warn', stream: wf },
    ...extra,
  ];
  const logger = pino(
    { base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime, level: 'info' },
    pino.multistream(streams),
  );
  // SonicBoom flushes its buffer on end() and emits 'close' when the file is closed.
  const closeOne = (d: ReturnType<typeof pino.destination>) =>
    new Promise<void>((resolve) => {
      const done = () => resolve();
      d.once('close', done);
      d.once('error', done);
      try {
        d.end();
      } catch {
        resolve();
      }
    });
  return {
    logger,
    dir,
    close: async () => {
      await Promise.all([closeOne(info), closeOne(wf)]);
    },
  };
}
