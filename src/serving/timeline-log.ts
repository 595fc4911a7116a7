// Log lines of timeline requests: progress while a long video is being processed, and a one-line summary instead
// of the answer's JSON.
import type { Timeline } from '../protocol/timeline.ts';
import type { HandlerContext } from './handler.ts';
import type { TimelineProgress } from './timeline.ts';

/** At most one progress line per this many ms. */
const PROGRESS_EVERY_MS = 5000;

export function timelineProgressLog(ctx: HandlerContext, rid: number, protocol: string): (p: TimelineProgress) => void {
  let last = performance.now();
  return (p) => {
    const now = performance.now();
    if (now - last < PROGRESS_EVERY_MS) return;
    last = now;
    const speed = p.elapsedMs > 0 ? p.seconds / (p.elapsedMs / 1000) : 0;
    ctx.logger.info(
      { rid, op: ctx.op.opts.name, protocol, timeline: { windows: p.windows, seconds: Math.round(p.seconds * 10) / 10, speed: Math.round(speed * 100) / 100 } },
      `rid=${rid} ${protocol} /${ctx.op.opts.name} timeline in progress: ${p.windows} windows, ${p.seconds.toFixed(1)} s of video in ${(p.elapsedMs / 1000).toFixed(1)} s (${speed.toFixed(2)}x real time)`,
    );
  };
}

/** The log's label/prob fields for a timeline: the segments' labels and the window count. */
export function timelineLogFields(t: Timeline): [string, string] {
  const labels = t.segments.map((s) => s.label);
  const shown = labels.length > 8 ? [...labels.slice(0, 8), `... ${labels.length - 8} more`] : labels;
  return [`timeline[${shown.join(', ')}]`, `${t.windows.length} windows over ${t.duration} s`];
}
