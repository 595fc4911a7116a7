// The request keys of timelines and inputs by reference (see src/protocol/timeline.ts): read and checked here,
// called from decodeRequest. Values are strings, as every Paddle Serving value is ("2.5", "1", "0.6").
import { inputError } from '../errors.ts';
import { TIMELINE_KEYS } from '../protocol/timeline.ts';
import { checkWindowGrid } from '../video/windows.ts';

export interface TimelineParams {
  window: number;
  stride: number;
  /** Segment threshold; undefined = the server's default. */
  threshold?: number;
}

/** What these keys add to a request. */
export interface ReferenceKeys {
  timeline?: TimelineParams;
  /** The request's own deadline (ms). */
  timeoutMs?: number;
  /** An input by reference instead of bytes. */
  input?: { kind: 'path'; path: string } | { kind: 'url'; url: string };
}

const NAMES = new Set<string>(Object.values(TIMELINE_KEYS));

export function isReferenceKey(k: string): boolean {
  return NAMES.has(k);
}

/** Reads the keys from `get` (a string value, or undefined when absent; non-strings are refused by the caller). */
export function readReferenceKeys(get: (k: string) => string | undefined): ReferenceKeys {
  const out: ReferenceKeys = {};
  const number = (k: string): number | undefined => {
    const v = get(k);
    if (v === undefined) return undefined;
    const t = v.trim();
    if (!/^[+]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(t)) throw inputError(`"${k}" must be a number, got ${JSON.stringify(v.slice(0, 20))}`);
    return Number(t);
  };
  const window = number(TIMELINE_KEYS.window);
  const stride = number(TIMELINE_KEYS.stride);
  const threshold = number(TIMELINE_KEYS.threshold);
  if (window !== undefined) {
    out.timeline = checkWindowGrid({ window, stride: stride ?? window });
    if (threshold !== undefined) {
      if (threshold > 1) throw inputError(`"threshold" must be a probability in 0..1, got ${threshold}`);
      out.timeline.threshold = threshold;
    }
  } else if (stride !== undefined || threshold !== undefined) {
    throw inputError('"stride" and "threshold" go with "window" (the window length in seconds)');
  }
  const timeout = number(TIMELINE_KEYS.timeoutMs);
  if (timeout !== undefined) {
    if (!Number.isInteger(timeout) || timeout < 1) throw inputError(`"timeout_ms" must be a positive integer, got ${timeout}`);
    out.timeoutMs = timeout;
  }
  const path = get(TIMELINE_KEYS.videoPath);
  const url = get(TIMELINE_KEYS.videoUrl);
  if (path !== undefined && url !== undefined) throw inputError('send either "video_path" or "video_url", not both');
  if (path !== undefined) out.input = { kind: 'path', path };
  if (url !== undefined) out.input = { kind: 'url', url };
  return out;
}
