// Timelines: what happens when in a long video. Shared by the server (which builds them) and the clients (which
// read and print them). Over the Paddle Serving protocol a timeline request adds keys to the usual request
// ("window", "stride", optional "threshold", "topk", "timeout_ms"), and the answer is key ["timeline"] with one
// value: the Timeline below as a JSON string.

/** Request keys that ask for a timeline (and for an input by reference or an own deadline). */
export const TIMELINE_KEYS = {
  window: 'window',
  stride: 'stride',
  threshold: 'threshold',
  timeoutMs: 'timeout_ms',
  videoPath: 'video_path',
  videoUrl: 'video_url',
} as const;

/** The answer's key for a timeline. */
export const TIMELINE_ANSWER_KEY = 'timeline';

export interface TopkEntry {
  label: string;
  prob: number;
}

/** One window's prediction. Times are seconds from the first frame. */
export interface TimelineWindow {
  start: number;
  end: number;
  label: string;
  prob: number;
  /** The k best classes, best first (k = the request's topk, else the server's). */
  topk: TopkEntry[];
}

/** Consecutive windows with the same top label at or above the threshold, merged. */
export interface TimelineSegment {
  start: number;
  end: number;
  label: string;
  /** Mean of the merged windows' probabilities. */
  prob: number;
  /** How many windows were merged. */
  windows: number;
}

export interface Timeline {
  window: number;
  stride: number;
  threshold: number;
  /** Frames decoded and the source's length in seconds. */
  frames: number;
  duration: number;
  windows: TimelineWindow[];
  segments: TimelineSegment[];
}

/**
 * Merges windows into segments. Each window stands for the part of the video nearest its centre (half a stride
 * each side, within the window; the first and last windows reach their own start and end), so the segments of a
 * timeline with overlapping windows do not overlap. Windows below `threshold` belong to no segment and split
 * the segments around them.
 */
export function segmentWindows(windows: readonly TimelineWindow[], stride: number, threshold: number): TimelineSegment[] {
  const out: TimelineSegment[] = [];
  let sum = 0;
  let prev = -1;
  windows.forEach((w, i) => {
    const centre = (w.start + w.end) / 2;
    const from = i === 0 ? w.start : Math.max(w.start, centre - stride / 2);
    const to = i === windows.length - 1 ? w.end : Math.min(w.end, centre + stride / 2);
    if (w.prob < threshold) {
      prev = -1;
      return;
    }
    const last = out[out.length - 1];
    if (last && prev === i - 1 && last.label === w.label) {
      last.end = round(to);
      last.windows++;
      sum += w.prob;
      last.prob = sum / last.windows;
    } else {
      out.push({ start: round(from), end: round(to), label: w.label, prob: w.prob, windows: 1 });
      sum = w.prob;
    }
    prev = i;
  });
  return out;
}

/** Times to the microsecond (window edges are computed in integer microseconds). */
export function round(s: number): number {
  return Math.round(s * 1e6) / 1e6;
}

/** "1:02:03.5" / "2:03.5" / "3.5" — seconds as a clock, for printed timelines. */
export function clock(s: number): string {
  const sign = s < 0 ? '-' : '';
  let t = Math.abs(s);
  const h = Math.floor(t / 3600);
  t -= h * 3600;
  const m = Math.floor(t / 60);
  t -= m * 60;
  const sec = (Math.round(t * 10) / 10).toFixed(1);
  if (h) return `${sign}${h}:${String(m).padStart(2, '0')}:${sec.padStart(4, '0')}`;
  if (m) return `${sign}${m}:${sec.padStart(4, '0')}`;
  return `${sign}${sec}`;
}

/** A readable timeline: segments, then every window with its top-k. */
export function formatTimeline(t: Timeline, opts: { windows?: boolean } = {}): string {
  const lines: string[] = [];
  lines.push(
    `${t.windows.length} windows of ${t.window} s every ${t.stride} s over ${clock(t.duration)} s (${t.frames} frames); ` +
      `${t.segments.length} segment${t.segments.length === 1 ? '' : 's'}${t.threshold > 0 ? ` at prob >= ${t.threshold}` : ''}:`,
  );
  const width = Math.max(0, ...t.segments.map((s) => s.label.length));
  for (const s of t.segments) {
    lines.push(`  ${`${clock(s.start)} - ${clock(s.end)}`.padEnd(17)} ${s.label.padEnd(width)}  ${s.prob.toFixed(3)}  (${s.windows} window${s.windows === 1 ? '' : 's'})`);
  }
  if (opts.windows !== false) {
    lines.push('windows:');
    for (const w of t.windows) {
      const rest = w.topk.slice(1).map((e) => `${e.label} ${e.prob.toFixed(3)}`).join(', ');
      lines.push(`  ${`${clock(w.start)} - ${clock(w.end)}`.padEnd(17)} ${w.label} ${w.prob.toFixed(3)}${rest ? `  (${rest})` : ''}`);
    }
  }
  return lines.join('\n');
}
