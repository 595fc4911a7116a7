// Decoding only what the sampled frames need. From the container's packet index (container.ts: AVI idx1, MP4/MOV
// stsz/stco/stss/stts/ctts) a plan lists the packets that the wanted frames depend on, and ffmpeg decodes an
// elementary stream made of just those packets:
//   - H.264 (MP4/MOV 'avc1'): for each wanted frame, the IDR before it (in decode order), then every reference
//     picture (nal_ref_idc != 0) up to the last wanted frame of that IDR's group, plus the wanted frames themselves.
//     Non-reference pictures that are not wanted are left out: no other picture predicts from them (that is what
//     nal_ref_idc = 0 means), so no decoded sample changes. Groups are concatenated; each starts at an IDR, which
//     resets the decoder, so the output is each group's pictures in presentation order, group after group.
//   - HEVC (MP4/MOV 'hvc1'/'hev1'): the same with HEVC's picture types (hevc.ts): IDR and CRA pictures are start
//     points, sub-layer non-reference pictures of the highest TemporalId are left out, a start CRA's RASL pictures
//     are neither fed nor (when wanted) decoded from it.
//   - Intra-only MJPEG (AVI 'MJPG', MOV 'jpeg'/'mjpa', every packet a keyframe): only the wanted packets.
// Frame n is the n-th frame in presentation order, i.e. the n-th frame a full decode outputs, provided every packet
// decodes to one frame. That is checked where it can be without decoding — every packet's structure (H.264: NAL
// lengths fill the sample and it holds a slice; JPEG: markers up to a frame header and a scan) — and, in the run
// itself, every fed packet must come out as one frame, at the expected size, with no decoding error logged.
// Anything else (other codecs, an index the container does not settle, a failed check) is left to the full decode,
// which stays the reference: decode.ts falls back to it, and test/video-seek.test.ts compares both bit for bit.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSource, readVideoIndex, type Colour, type Source, type VideoIndex } from './container.ts';
import { runDecode, type DecodeOptions } from './decode.ts';
import { asStreamStart, hevcDependencies, hevcPicture, parseHvcC, type HevcPicture } from './hevc.ts';
import { withKnownSets } from './parameter-sets.ts';
import { appliedRotation, DEFAULT_ORIENTATION } from './rotate.ts';

/** What decoding the wanted frames takes: the packets to feed, in decode order, and where the wanted frames come out. */
export interface SeekPlan {
  /** The elementary stream's format (ffmpeg demuxer name). */
  format: SeekFormat;
  /** Frame count of the video (the container's packet count). */
  frames: number;
  /** Packets to decode, by decode-order number, ascending. */
  feed: number[];
  /** The fed packets that start a group (decoding starts afresh there; parameter sets go in front). */
  starts: number[];
  /** For each frame the decoder outputs from the fed packets (in output order), its frame number in the video. */
  outputs: number[];
  /** The wanted frame numbers, ascending, without repeats. */
  wanted: number[];
  /** Clockwise turn (degrees) that decoding applies, from the display matrix. */
  rotation: number;
}

/** What the packet index says about a video before any decoding: the frame count and how to reach each frame. */
export interface SeekIndex {
  index: VideoIndex;
  format: SeekFormat;
  /** Frame number (presentation order) -> packet number (decode order). */
  packetOf: Int32Array;
  /** Per packet: 1 if others may need it (a reference picture, or parameter sets; always 1 for intra-only codecs). */
  ref: Uint8Array;
  /** Per packet: 1 if decoding can start there (an H.264 IDR picture; an HEVC IDR or CRA; every MJPEG packet). */
  start: Uint8Array;
  /**
   * Per packet: the latest start point it decodes from — the last one at or before it, except an HEVC RASL picture
   * of a start CRA, which needs the one before that CRA. A group from start point s feeds no packet reaching < s.
   */
  reach: Int32Array;
  /** H.264 / HEVC: NAL length field size and the parameter sets in Annex B form. */
  nalLength: number;
  parameterSets: Uint8Array;
  /** Decoder options that give the elementary stream what the container told the decoder (colour description). */
  decoderOptions: string[];
}

/** The elementary stream's format (ffmpeg demuxer name). */
export type SeekFormat = 'h264' | 'hevc' | 'mjpeg';

const MJPEG_CODECS = new Set(['MJPG', 'jpeg', 'mjpa']);
const HEVC_CODECS = new Set(['hvc1', 'hev1']);

/**
 * Reads and checks the packet index for seeking, or undefined when this video must be decoded in full (codec or
 * container not covered, sample description with colour information, damaged packets, a stream not starting at an
 * IDR picture). Reads every packet's headers: O(file size) of I/O, no decoding.
 */
export async function readSeekIndex(src: Source): Promise<SeekIndex | undefined> {
  const index = await readVideoIndex(src);
  if (!index || index.frames === 0) return undefined;
  // ffmpeg hands the container's colour description to the decoder (the bitstream's own overrides it); an
  // elementary stream has none, so it is given as decoder options. Values ffmpeg would not take: full decode.
  const decoderOptions = colourOptions(index.colour);
  if (!decoderOptions) return undefined;
  const n = index.frames;
  let ref: Uint8Array = new Uint8Array(n);
  let start: Uint8Array = new Uint8Array(n);
  let reach: Int32Array | undefined;
  let format: SeekFormat;
  let nalLength = 0;
  let parameterSets: Uint8Array = new Uint8Array(0);
  if (index.codec === 'avc1' && index.avcC) {
    format = 'h264';
    const cfg = parseAvcC(index.avcC);
    if (!cfg) return undefined;
    ({ nalLength, parameterSets } = cfg);
    const inBand: Uint8Array[][] = [];
    const ok = await eachPacket(src, index, (i, p) => {
      const info = h264Picture(p, nalLength);
      if (!info) return false;
      ref[i] = info.ref ? 1 : 0;
      start[i] = info.idr && index.key[i] ? 1 : 0;
      inBand.push(info.sets);
      return true;
    });
    if (!ok || !start[0]) return undefined;
    start = withKnownSets(start, inBand, cfg.nals, [7, 8], (nal) => nal[0]! & 0x1f);
  } else if (HEVC_CODECS.has(index.codec) && index.hvcC) {
    format = 'hevc';
    const cfg = parseHvcC(index.hvcC);
    if (!cfg) return undefined;
    ({ nalLength, parameterSets } = cfg);
    const pictures: HevcPicture[] = [];
    const ok = await eachPacket(src, index, (_, p) => {
      const pic = hevcPicture(p, nalLength);
      if (pic) pictures.push(pic);
      return pic !== undefined;
    });
    const deps = ok ? hevcDependencies(pictures, cfg) : undefined;
    if (!deps) return undefined;
    ({ ref, start, reach } = deps);
  } else if (MJPEG_CODECS.has(index.codec)) {
    format = 'mjpeg';
    if (index.key.some((k) => k === 0)) return undefined;
    if (!(await eachPacket(src, index, (_, p) => jpegFrame(p)))) return undefined;
    ref.fill(1);
    start.fill(1);
  } else return undefined;
  if (!reach) {
    reach = new Int32Array(n);
    for (let i = 0, last = 0; i < n; i++) reach[i] = last = start[i] ? i : last;
  }
  // Presentation order: by presentation time, ties in decode order (what the decoder's output order gives).
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => index.pts[a]! - index.pts[b]! || a - b);
  return { index, format, packetOf: Int32Array.from(order), ref, start, reach, nalLength, parameterSets, decoderOptions };
}

/** The packets that decoding `frames` (frame numbers, any order, repeats allowed) needs, and where each comes out. */
export function planSeek(seek: SeekIndex, frames: readonly number[], orientation = DEFAULT_ORIENTATION): SeekPlan {
  const n = seek.index.frames;
  for (const f of frames) if (!Number.isInteger(f) || f < 0 || f >= n) throw new RangeError(`frame ${f} out of range for ${n} frames`);
  const wanted = new Uint8Array(n);
  // Groups: from the start point each wanted packet decodes from to the last wanted packet; overlapping ones merge.
  const spans: Array<[number, number]> = [];
  for (const f of new Set(frames)) {
    const p = seek.packetOf[f]!;
    wanted[p] = 1;
    spans.push([seek.reach[p]!, p]); // packet 0 is a start point (readSeekIndex checks it)
  }
  const groups: Array<[number, number]> = [];
  for (const [s, end] of spans.sort((a, b) => a[0] - b[0])) {
    const last = groups[groups.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], end);
    else groups.push([s, end]);
  }
  const rankOf = new Int32Array(n);
  seek.packetOf.forEach((p, f) => (rankOf[p] = f));
  const feed: number[] = [];
  const outputs: number[] = [];
  for (const [s, end] of groups) {
    const group: number[] = [s];
    for (let p = s + 1; p <= end; p++) if ((seek.ref[p] || wanted[p]) && seek.reach[p]! >= s) group.push(p);
    feed.push(...group);
    // The decoder outputs a group's pictures in presentation order before the next group's IDR.
    outputs.push(...group.map((p) => rankOf[p]!).sort((a, b) => a - b));
  }
  const unique = [...new Set(frames)].sort((a, b) => a - b);
  return { format: seek.format, frames: n, feed, starts: groups.map((g) => g[0]), outputs, wanted: unique, rotation: appliedRotation(seek.index.displayAngle, orientation) };
}

/**
 * The fed packets as one elementary stream: H.264 / HEVC in Annex B (parameter sets before each group; an HEVC group's
 * first picture made a start, see hevc.ts), JPEGs back to back.
 */
async function elementaryStream(src: Source, seek: SeekIndex, plan: SeekPlan): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  const push = (b: Uint8Array): void => {
    parts.push(b);
    total += b.length;
  };
  const START = new Uint8Array([0, 0, 0, 1]);
  const starts = new Set(plan.starts);
  for (const p of plan.feed) {
    const bytes = await src.read(seek.index.offset[p]!, seek.index.size[p]!);
    if (bytes.length !== seek.index.size[p]) throw new Error(`packet ${p} lies outside the input`);
    if (plan.format === 'mjpeg') {
      push(bytes);
      continue;
    }
    const groupStart = starts.has(p);
    if (groupStart) push(seek.parameterSets);
    for (let at = 0; at < bytes.length; ) {
      const len = readLength(bytes, at, seek.nalLength);
      const nal = bytes.subarray(at + seek.nalLength, at + seek.nalLength + len);
      push(START);
      push(groupStart && plan.format === 'hevc' ? asStreamStart(nal) : nal);
      at += seek.nalLength + len;
    }
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const b of parts) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}

/** Why a seeking decode was not used or not trusted (decode.ts then decodes in full). */
export class SeekUnverified extends Error {}

/**
 * How many ffmpeg processes decode a plan's IDR groups at once when DecodeOptions.seekRuns is not given: 2 while
 * the cores are free (no more threads ready to run, machine-wide, than cores, the caller included), else 1. Groups are
 * independent (each starts at an IDR): on idle cores two single-threaded processes beat one frame-threaded process
 * (720p bench clips: 0.75x the wall time), but on busy cores the frame-threaded one does better (the split took 1.7x
 * its wall time under a load average of 8, and up to ~10% more CPU). See the README's figures.
 */
export function defaultSeekRuns(): number {
  let loadavg: string | undefined;
  try {
    loadavg = readFileSync('/proc/loadavg', 'latin1');
  } catch {
    // Not Linux: no way to tell, one run.
  }
  return seekRunsFor(loadavg, availableParallelism());
}

/**
 * 2 when no more threads than cores are ready to run, per the fourth field of /proc/loadavg ("0.52 0.58 0.59 2/467
 * 12345": runnable/total scheduling entities, the reading thread included; in a server, the thread that handed the
 * request over may be one of them); else 1.
 */
export function seekRunsFor(loadavg: string | undefined, cores: number): number {
  const m = loadavg ? /^\S+ \S+ \S+ (\d+)\//.exec(loadavg) : null;
  if (!m || cores < 2) return 1;
  return Number(m[1]) <= cores ? 2 : 1;
}

/** A split only pays when the larger part is at most this share of the packets (else one frame-threaded run). */
const SPLIT_SHARE = 0.6;

/** A run of whole groups of a plan: its packets (decode order) and the frame numbers they output (output order). */
interface PlanPart {
  feed: number[];
  outputs: number[];
}

/**
 * The plan's groups in at most `runs` (1 or 2) parts of consecutive whole groups, balanced by packet count; one part
 * when the groups do not split evenly enough (SPLIT_SHARE). A group's outputs are as many as its packets, in the same
 * place of `plan.outputs` as its packets in `plan.feed`.
 */
export function splitPlan(plan: SeekPlan, runs: number): PlanPart[] {
  const whole = [{ feed: plan.feed, outputs: plan.outputs }];
  if (runs < 2) return whole;
  const total = plan.feed.length;
  const starts = new Set(plan.starts);
  let cut = 0;
  for (let i = 1; i < total; i++) {
    if (starts.has(plan.feed[i]!) && Math.abs(total - 2 * i) < Math.abs(total - 2 * cut)) cut = i;
  }
  if (cut === 0 || Math.max(cut, total - cut) > SPLIT_SHARE * total) return whole;
  return [
    { feed: plan.feed.slice(0, cut), outputs: plan.outputs.slice(0, cut) },
    { feed: plan.feed.slice(cut), outputs: plan.outputs.slice(cut) },
  ];
}

/**
 * Decodes the frames of `plan` (made by planSeek from `seek`) and calls `onFrame` with each wanted frame number as it
 * arrives (the buffer is reused: copy what you keep); ascending within each ffmpeg run — with two runs (seekRuns) the
 * two halves' frames interleave. Throws SeekUnverified when a decoder did not output exactly one frame per fed packet
 * at the index's frame size, or logged a decoding error: frames delivered before that may be wrong, and the caller
 * must decode in full and deliver them again. Resolves with the number of ffmpeg runs.
 */
export async function decodePlan(
  src: Source,
  seek: SeekIndex,
  plan: SeekPlan,
  what: string,
  onFrame: (frame: number, rgb: Uint8Array, width: number, height: number) => void,
  opts: DecodeOptions = {},
): Promise<number> {
  const parts = splitPlan(plan, opts.seekRuns ?? defaultSeekRuns());
  const wanted = new Set(plan.wanted);
  const dir = await mkdtemp(join(tmpdir(), 'vidserve-seek-'));
  // One run failing stops the other: its frames no longer matter (the caller decodes in full or gives up).
  const stop = new AbortController();
  const outer = opts.signal;
  const onOuterAbort = (): void => stop.abort(outer!.reason);
  if (outer?.aborted) stop.abort(outer.reason);
  else outer?.addEventListener('abort', onOuterAbort, { once: true });
  let failure: unknown;
  try {
    const runs = parts.map(async (part, i) => {
      try {
        await decodePart(src, seek, plan, part, join(dir, `packets${i}.${plan.format}`), what, wanted, onFrame, {
          ...opts,
          signal: stop.signal,
          threads: parts.length > 1 ? 1 : undefined,
        });
      } catch (err) {
        // The first failure is the cause; the other run's AbortError only follows from it.
        failure ??= err;
        stop.abort(err);
      }
    });
    await Promise.all(runs);
    if (failure !== undefined) throw failure;
    return parts.length;
  } finally {
    outer?.removeEventListener('abort', onOuterAbort);
    await rm(dir, { recursive: true, force: true });
  }
}

/** One ffmpeg run over a part of a plan (decodePlan). */
async function decodePart(
  src: Source,
  seek: SeekIndex,
  plan: SeekPlan,
  part: PlanPart,
  file: string,
  what: string,
  wanted: ReadonlySet<number>,
  onFrame: (frame: number, rgb: Uint8Array, width: number, height: number) => void,
  opts: DecodeOptions & { threads: number | undefined },
): Promise<void> {
  const stream = await elementaryStream(src, seek, { ...plan, feed: part.feed });
  const wantedAt = part.outputs.flatMap((f, k) => (wanted.has(f) ? [k] : []));
  await writeFile(file, stream, { mode: 0o600 });
  let piped = 0;
  const { codedWidth, codedHeight } = seek.index;
  const res = await runDecode(
    {
      path: `file:${file}`,
      what,
      cap: part.feed.length,
      select: wantedAt,
      rotation: plan.rotation,
      work: part.feed.length * codedWidth * codedHeight,
      threads: opts.threads,
      format: plan.format,
      inputOptions: seek.decoderOptions,
    },
    (k, rgb, w, h) => {
      piped++;
      onFrame(part.outputs[k]!, rgb, w, h);
    },
    opts,
  );
  const quarter = plan.rotation === 90 || plan.rotation === 270;
  const [w, h] = quarter ? [res.height, res.width] : [res.width, res.height];
  if (res.decoded !== part.feed.length || piped !== wantedAt.length)
    throw new SeekUnverified(`${res.decoded} frames from ${part.feed.length} packets (${piped} of ${wantedAt.length} wanted)`);
  if ((codedWidth && w !== codedWidth) || (codedHeight && h !== codedHeight))
    throw new SeekUnverified(`frame size ${w}x${h}, container says ${codedWidth}x${codedHeight}`);
  if (DECODE_ERROR.test(res.stderr)) throw new SeekUnverified('the decoder reported errors');
}

// Decoder complaints in ffmpeg's log (h264, hevc, mjpeg) that mean a frame may differ from a full decode's.
const DECODE_ERROR = new RegExp([
  'error while decoding|concealing|decode_slice_header error|no frame!|missing reference|reference picture missing',
  'mmco: unref short failure|huffman table decode error|EOI missing|No JPEG data found|Found EOI before any SOF|Invalid data found',
  // hevc: a reference missing from the DPB (logged for every picture but the start IRAP), broken slices or sets.
  'Could not find ref with POC|Error constructing the frame RPS|Error parsing NAL unit|Duplicate POC|Two slices reporting',
  'First slice in a frame missing|Invalid reference index|Zero refs in the frame RPS|DPB full|PPS id out of range|Skipping invalid',
].join('|'), 'i');

/**
 * The frames `frames` (frame numbers in presentation order, any order, repeats allowed) of a video, exactly as a full
 * decode gives them, decoding only the packets they need — or undefined when the video needs the full decode (see
 * readSeekIndex; decode.ts's decodeFramesAt wraps both). `onFrame` gets each distinct frame once (see decodePlan for the order).
 * Returns the video's frame count (the container's).
 */
export async function seekFrames(
  input: string | Uint8Array,
  what: string,
  pick: (frameCount: number) => readonly number[],
  onFrame: (frame: number, rgb: Uint8Array, width: number, height: number) => void,
  opts: DecodeOptions = {},
): Promise<{ frames: number; indices: readonly number[] } | undefined> {
  const src = await openSource(input);
  if (!src) return undefined;
  try {
    const seek = await readSeekIndex(src);
    opts.signal?.throwIfAborted();
    if (!seek) return undefined;
    const indices = pick(seek.index.frames);
    for (const f of indices) if (!Number.isInteger(f) || f < 0 || f >= seek.index.frames) return undefined; // let the full path report it
    const plan = planSeek(seek, indices, opts.orientation);
    let runs: number;
    try {
      runs = await decodePlan(src, seek, plan, what, onFrame, opts);
    } catch (err) {
      // ffmpeg failing on the elementary stream is not the user's error: the full decode decides.
      if (opts.signal?.aborted || err instanceof SeekUnverified) throw err;
      throw new SeekUnverified((err as Error).message);
    }
    opts.onDecodePath?.({ mode: 'seek', packets: plan.feed.length, frames: seek.index.frames, runs });
    return { frames: seek.index.frames, indices };
  } finally {
    await src.close();
  }
}

// ------------------------------------------------------------------------------------------------- packet checks

/** The numbers ffmpeg 4's mov demuxer accepts from 'colr' (others it maps to unspecified); undefined: not handled. */
const KNOWN = { primaries: [1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 22], transfer: Array.from({ length: 18 }, (_, i) => i + 1), matrix: Array.from({ length: 15 }, (_, i) => i) };

function colourOptions(c: Colour | undefined): string[] | undefined {
  if (!c) return [];
  if (!KNOWN.primaries.includes(c.primaries) || !KNOWN.transfer.includes(c.transfer) || !KNOWN.matrix.includes(c.matrix)) return undefined;
  const range = c.fullRange === undefined ? [] : ['-color_range', c.fullRange ? 'pc' : 'tv'];
  return ['-color_primaries', String(c.primaries), '-color_trc', String(c.transfer), '-colorspace', String(c.matrix), ...range];
}

function readLength(b: Uint8Array, at: number, size: number): number {
  let v = 0;
  for (let i = 0; i < size; i++) v = v * 256 + b[at + i]!;
  return v;
}

/** avcC: NAL length size and the SPS/PPS, as Annex B and each as a NAL unit. */
function parseAvcC(c: Uint8Array): { nalLength: number; parameterSets: Uint8Array; nals: Uint8Array[] } | undefined {
  if (c.length < 7 || c[0] !== 1) return undefined;
  const nalLength = (c[4]! & 3) + 1;
  if (nalLength === 3) return undefined; // not allowed for H.264 in MP4; ffmpeg rejects it too
  const sets: number[] = [];
  const nals: Uint8Array[] = [];
  let at = 5;
  for (const mask of [0x1f, 0xff]) {
    if (at >= c.length) return undefined;
    const count = c[at++]! & mask;
    for (let i = 0; i < count; i++) {
      if (at + 2 > c.length) return undefined;
      const len = (c[at]! << 8) | c[at + 1]!;
      at += 2;
      if (len === 0 || at + len > c.length) return undefined;
      sets.push(0, 0, 0, 1, ...c.subarray(at, at + len));
      nals.push(c.subarray(at, at + len));
      at += len;
    }
  }
  return sets.length ? { nalLength, parameterSets: Uint8Array.from(sets), nals } : undefined;
}

/**
 * One MP4 H.264 sample: its NAL units must fill it exactly and include a coded slice. Whether it is needed by
 * others (a reference picture: a slice with nal_ref_idc != 0; or it carries parameter sets), an IDR picture, and the
 * parameter sets it carries.
 */
function h264Picture(b: Uint8Array, nalLength: number): { ref: boolean; idr: boolean; sets: Uint8Array[] } | undefined {
  let slices = 0;
  const sets: Uint8Array[] = [];
  let ref = false;
  let idr = false;
  let at = 0;
  while (at < b.length) {
    if (at + nalLength > b.length) return undefined;
    const len = readLength(b, at, nalLength);
    at += nalLength;
    if (len === 0 || at + len > b.length) return undefined;
    const h = b[at]!;
    if (h & 0x80) return undefined; // forbidden_zero_bit
    const type = h & 0x1f;
    if (type >= 1 && type <= 5) {
      slices++;
      if (h & 0x60) ref = true;
      if (type === 5) idr = true;
    }
    // Parameter sets in the sample change how later pictures decode: never leave such a sample out.
    if (type === 7 || type === 8 || type === 13 || type === 15) {
      ref = true;
      sets.push(b.slice(at, at + len)); // a copy: the packet's block is not kept
    }
    at += len;
  }
  return slices ? { ref, idr, sets } : undefined;
}

/** A JPEG that ffmpeg's MJPEG decoder turns into a frame: SOI, well-formed marker segments, a frame header, a scan. */
function jpegFrame(b: Uint8Array): boolean {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return false;
  let sof = false;
  for (let at = 2; at + 4 <= b.length; ) {
    if (b[at] !== 0xff) return false;
    const m = b[at + 1]!;
    if (m === 0xff) {
      at++; // fill byte
      continue;
    }
    if (m === 0xd9) return false; // EOI before a scan
    if (m === 0x01 || (m >= 0xd0 && m <= 0xd7)) {
      at += 2;
      continue;
    }
    const len = (b[at + 2]! << 8) | b[at + 3]!;
    if (len < 2 || at + 2 + len > b.length) return false;
    // Baseline, extended and progressive Huffman frames (the ones ffmpeg's mjpeg decoder handles as such).
    if (m === 0xc0 || m === 0xc1 || m === 0xc2) sof = len >= 11;
    if (m === 0xda) return sof && len >= 8;
    at += 2 + len;
  }
  return false;
}

/** Calls `check` with every packet's bytes, reading files in large sequential blocks; false as soon as one fails. */
async function eachPacket(src: Source, index: VideoIndex, check: (i: number, packet: Uint8Array) => boolean): Promise<boolean> {
  const BLOCK = 8 * 1024 * 1024;
  let block: Uint8Array = new Uint8Array(0);
  let blockAt = 0;
  for (let i = 0; i < index.frames; i++) {
    const at = index.offset[i]!;
    const size = index.size[i]!;
    if (at < blockAt || at + size > blockAt + block.length) {
      block = await src.read(at, Math.max(BLOCK, size));
      blockAt = at;
      if (block.length < size) return false;
    }
    if (!check(i, block.subarray(at - blockAt, at - blockAt + size))) return false;
  }
  return true;
}
