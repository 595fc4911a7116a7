// Reads the pipeline's answer — key ['label', 'prob'], values Python list literals — into typed fields.
import type { PipelineResponse } from '../protocol/types.ts';
import { parsePyLiteral, type PyLiteral } from './pyliteral.ts';
import { PredictionError, ResponseFormatError } from './errors.ts';
import { TIMELINE_ANSWER_KEY, type Timeline } from '../protocol/timeline.ts';

export interface TopkEntry {
  label: string;
  prob: number;
}

export interface Prediction {
  /** Top-1 class name (or the class index as text when the server has no label list). */
  label: string;
  /** Its softmax probability. */
  prob: number;
  /** Every (label, prob) pair the server returned, best first; present when it returned more than one or topk was asked. */
  topk?: TopkEntry[];
}

function valueOf(r: PipelineResponse, key: string): PyLiteral {
  const i = r.key.indexOf(key);
  if (i < 0) throw new ResponseFormatError(`response has no '${key}' key (keys: ${JSON.stringify(r.key)})`, r);
  const text = r.value[i];
  if (text === undefined) throw new ResponseFormatError(`response has key '${key}' but no value for it`, r);
  try {
    return parsePyLiteral(text);
  } catch (e) {
    throw new ResponseFormatError(`response value of '${key}' is ${(e as Error).message}`, r);
  }
}

function asList(v: PyLiteral): PyLiteral[] {
  return Array.isArray(v) ? v : [v];
}

/** err_no ≠ 0 → PredictionError; otherwise label/prob (and all pairs when several came back). */
export function readPrediction(r: PipelineResponse, wantTopk = false): Prediction {
  if (r.err_no !== 0) throw new PredictionError(r);
  const labels = asList(valueOf(r, 'label'));
  const probs = asList(valueOf(r, 'prob'));
  if (labels.length === 0 || labels.length !== probs.length) {
    throw new ResponseFormatError(`response has ${labels.length} label(s) and ${probs.length} prob(s); expected the same non-zero count`, r);
  }
  const pairs = labels.map((l, i): TopkEntry => {
    const p = probs[i];
    if (typeof p !== 'number') throw new ResponseFormatError(`prob #${i} is not a number: ${JSON.stringify(p)}`, r);
    if (typeof l !== 'string' && typeof l !== 'number') throw new ResponseFormatError(`label #${i} is not a string: ${JSON.stringify(l)}`, r);
    return { label: String(l), prob: p };
  });
  const out: Prediction = { label: pairs[0]!.label, prob: pairs[0]!.prob };
  if (wantTopk || pairs.length > 1) out.topk = pairs;
  return out;
}

/** err_no ≠ 0 → PredictionError; otherwise the timeline (key "timeline", a JSON value). */
export function readTimeline(r: PipelineResponse): Timeline {
  if (r.err_no !== 0) throw new PredictionError(r);
  const i = r.key.indexOf(TIMELINE_ANSWER_KEY);
  const text = i < 0 ? undefined : r.value[i];
  if (text === undefined) throw new ResponseFormatError(`response has no '${TIMELINE_ANSWER_KEY}' value (keys: ${JSON.stringify(r.key)}); does the server support timelines?`, r);
  let t: Timeline;
  try {
    t = JSON.parse(text) as Timeline;
  } catch (e) {
    throw new ResponseFormatError(`response value of '${TIMELINE_ANSWER_KEY}' is not JSON: ${(e as Error).message}`, r);
  }
  if (!t || !Array.isArray(t.windows) || !Array.isArray(t.segments)) throw new ResponseFormatError(`response value of '${TIMELINE_ANSWER_KEY}' has no windows/segments`, r);
  return t;
}
