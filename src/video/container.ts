// The video stream's frame count read from the container header, so a request needs one ffmpeg run instead of two
// (probe + decode). Only what ffmpeg's packet count would equal for sure is answered; anything unusual (fragmented
// or edited MP4, OpenDML-only AVI, truncation, inconsistent tables) answers undefined and the caller probes with ffmpeg.
//
// AVI: the first 'vids' stream's strh dwLength (what OpenCV reports as nb_frames), confirmed by the idx1 entries of
// that stream. MP4/MOV: the first 'vide' track's stsz sample count, confirmed by stts, every chunk inside the file.
//
// The same parse gives the packet index seeking needs (readVideoIndex): where each packet lies, which are keyframes,
// the presentation order (stts + ctts), the codec's sample entry and the display matrix.
import { open } from 'node:fs/promises';

/** Random access to the input: bytes in memory or an open file (close it when done). */
export interface Source {
  size: number;
  read(pos: number, len: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

function bytesSource(b: Uint8Array): Source {
  return { size: b.byteLength, read: async (pos, len) => b.subarray(pos, Math.min(b.byteLength, pos + len)), close: async () => {} };
}

/** A Source over the input, or undefined when the file cannot be opened (ffmpeg reports that in its own words). */
export async function openSource(input: string | Uint8Array): Promise<Source | undefined> {
  if (typeof input !== 'string') return bytesSource(input);
  let fh;
  try {
    fh = await open(input, 'r');
  } catch {
    return undefined;
  }
  const file = fh;
  const size = (await file.stat()).size;
  return {
    size,
    read: async (pos, len) => {
      const n = Math.max(0, Math.min(len, size - pos));
      const buf = new Uint8Array(n);
      const { bytesRead } = await file.read(buf, 0, n, pos);
      return buf.subarray(0, bytesRead);
    },
    close: () => file.close(),
  };
}

/** Largest header chunk read into memory (moov, AVI hdrl or idx1); bigger ones are left to ffmpeg. */
const MAX_HEADER_BYTES = 64 * 1024 * 1024;

const fourcc = (b: Uint8Array, at: number): string => String.fromCharCode(b[at]!, b[at + 1]!, b[at + 2]!, b[at + 3]!);

export interface ContainerCount {
  format: 'avi' | 'mov';
  /** Packets of the first video stream (= cv2's CAP_PROP_FRAME_COUNT for these containers). */
  frames: number;
  /** Coded frame size from the header (before rotation); 0 when the header does not say. */
  width: number;
  height: number;
}

/** The packets of the first video stream, from the same headers that settle its count. */
export interface VideoIndex extends ContainerCount {
  /** MP4/MOV sample entry ('avc1', 'jpeg', 'mp4v', ...) or AVI compression fourcc ('MJPG', 'FMP4', 'H264', ...). */
  codec: string;
  /** Display-matrix rotation in degrees as ffmpeg reports it ("displaymatrix: rotation of D degrees"); 0 for AVI. */
  displayAngle: number;
  /** Per packet, in decode (file) order: payload position and size, keyframe (sync sample / AVIIF_KEYFRAME). */
  offset: Float64Array;
  size: Uint32Array;
  key: Uint8Array;
  /** Presentation time per packet (decode time + composition offset, media units); AVI: the packet number. */
  pts: Float64Array;
  /** The avcC decoder configuration (sample entry 'avc1'): parameter sets and the NAL length size. */
  avcC?: Uint8Array;
  /** The hvcC decoder configuration (sample entries 'hvc1' / 'hev1'): parameter sets and the NAL length size. */
  hvcC?: Uint8Array;
  /** Coded frame size from the sample description (MP4/MOV) or BITMAPINFOHEADER (AVI); 0 if absent. */
  codedWidth: number;
  codedHeight: number;
  /** The sample description's colour information ('colr' nclx/nclc), which ffmpeg hands to the decoder. */
  colour?: Colour;
}

/** ISO/IEC 23091-2 code points as a 'colr' box gives them (ffmpeg's AVColorPrimaries etc. use the same numbers). */
export interface Colour {
  primaries: number;
  transfer: number;
  matrix: number;
  /** 'nclx' only: its full-range flag. */
  fullRange?: boolean;
}

/**
 * Frame count of the first video stream from an AVI or MP4/MOV header, or undefined when the header does not
 * settle it (other containers, damage, layouts whose ffmpeg packet count could differ).
 */
export async function containerFrameCount(input: string | Uint8Array): Promise<ContainerCount | undefined> {
  const src = await openSource(input);
  if (!src) return undefined;
  try {
    const index = await readVideoIndex(src);
    return index && { format: index.format, frames: index.frames, width: index.width, height: index.height };
  } finally {
    await src.close();
  }
}

/** The packet index of the first video stream, or undefined where containerFrameCount would not answer. */
export async function readVideoIndex(src: Source): Promise<VideoIndex | undefined> {
  try {
    const head = await src.read(0, 12);
    if (head.length < 12) return undefined;
    if (fourcc(head, 0) === 'RIFF' && fourcc(head, 8) === 'AVI ') return await aviIndex(src);
    if (/^(ftyp|moov|mdat|free|skip|wide|pnot)$/.test(fourcc(head, 4))) return await movIndex(src);
    return undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------- AVI

const u32le = (b: Uint8Array, at: number): number => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16)) + b[at + 3]! * 0x1000000;

async function aviIndex(src: Source): Promise<VideoIndex | undefined> {
  const riff = await src.read(0, 12);
  // A RIFF size past the end: truncated (ffmpeg decodes up to the cut and counts fewer packets).
  if (8 + u32le(riff, 4) > src.size) return undefined;
  let hdrl: Uint8Array | undefined;
  let idx1: Uint8Array | undefined;
  let moviStart = -1;
  let riffCount = 0;
  for (let pos = 0; pos + 8 <= src.size; ) {
    const h = await src.read(pos, 12);
    const id = fourcc(h, 0);
    const size = u32le(h, 4);
    if (id === 'RIFF') {
      // OpenDML files continue in 'AVIX' RIFF chunks with their own indexes: leave them to ffmpeg.
      if (++riffCount > 1) return undefined;
      pos += 12;
      continue;
    }
    if (size > MAX_HEADER_BYTES && id !== 'LIST') return undefined;
    if (id === 'LIST' && h.length >= 12 && fourcc(h, 8) === 'hdrl') {
      if (size > MAX_HEADER_BYTES) return undefined;
      hdrl = (await src.read(pos + 12, size - 4)).slice();
    } else if (id === 'LIST' && h.length >= 12 && fourcc(h, 8) === 'movi') {
      moviStart = pos + 8;
    } else if (id === 'idx1') {
      idx1 = (await src.read(pos + 8, size)).slice();
      if (idx1.length !== size) return undefined;
    }
    pos += 8 + size + (size & 1);
  }
  if (!hdrl || !idx1 || moviStart < 0) return undefined;

  // The strl lists in order; stream n's chunks are tagged "nn" + dc/db.
  let stream = -1;
  let video = -1;
  let length = 0;
  let width = 0;
  let height = 0;
  let codec = '';
  let codedWidth = 0;
  let codedHeight = 0;
  for (let p = 0; p + 8 <= hdrl.length; ) {
    const id = fourcc(hdrl, p);
    const size = u32le(hdrl, p + 4);
    if (id === 'avih' && size >= 40 && p + 48 <= hdrl.length) {
      width = u32le(hdrl, p + 8 + 32);
      height = u32le(hdrl, p + 8 + 36);
    }
    if (id === 'LIST' && fourcc(hdrl, p + 8) === 'strl') {
      stream++;
      const end = Math.min(hdrl.length, p + 8 + size);
      for (let q = p + 12; q + 8 <= end; ) {
        const sid = fourcc(hdrl, q);
        const ssize = u32le(hdrl, q + 4);
        if (sid === 'indx') return undefined; // OpenDML index: ffmpeg reads it instead of idx1
        if (sid === 'strh' && ssize >= 36 && video < 0 && fourcc(hdrl, q + 8) === 'vids') {
          video = stream;
          length = u32le(hdrl, q + 8 + 32);
        }
        // BITMAPINFOHEADER biCompression of that stream.
        if (sid === 'strf' && video === stream && !codec && ssize >= 20 && q + 28 <= end) {
          codec = fourcc(hdrl, q + 8 + 16);
          codedWidth = u32le(hdrl, q + 8 + 4);
          codedHeight = Math.abs(u32le(hdrl, q + 8 + 8) | 0); // negative: top-down rows
        }
        q += 8 + ssize + (ssize & 1);
      }
    }
    p += 8 + size + (size & 1);
  }
  if (video < 0 || video > 99 || length <= 0) return undefined;

  const tag = String(video).padStart(2, '0');
  // Offsets are relative to 'movi' (the common form) or absolute: the first entry decides for all, as in ffmpeg.
  const base = idx1.length >= 16 && u32le(idx1, 8) < moviStart ? moviStart : 0;
  let entries = 0;
  const offset = new Float64Array(length);
  const sizes = new Uint32Array(length);
  const key = new Uint8Array(length);
  for (let e = 0; e + 16 <= idx1.length; e += 16) {
    const id = fourcc(idx1, e);
    if (id.startsWith(tag) && (id.endsWith('dc') || id.endsWith('db'))) {
      // Empty chunks (dropped frames) and entries past the end make ffmpeg's packet count differ.
      const size = u32le(idx1, e + 12);
      if (size === 0) return undefined;
      const at = u32le(idx1, e + 8) + base;
      if (at + 8 + size > src.size) return undefined;
      if (entries < length) {
        offset[entries] = at + 8; // the payload, after the chunk's fourcc and size
        sizes[entries] = size;
        key[entries] = u32le(idx1, e + 4) & 0x10 ? 1 : 0; // AVIIF_KEYFRAME
      }
      entries++;
    }
  }
  if (entries !== length) return undefined;
  // The first and last chunks must be where the index says (each payload follows its chunk's id and size).
  for (const i of [0, length - 1]) {
    const h = await src.read(offset[i]! - 8, 8);
    if (h.length < 8 || fourcc(h, 0).slice(0, 2) !== tag || u32le(h, 4) !== sizes[i]) return undefined;
  }
  const pts = Float64Array.from({ length }, (_, i) => i);
  return { format: 'avi', frames: length, width, height, codec, displayAngle: 0, offset, size: sizes, key, pts, codedWidth, codedHeight };
}

// ---------------------------------------------------------------------------------------------------------- MOV/MP4

const u32be = (b: Uint8Array, at: number): number => b[at]! * 0x1000000 + ((b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!);
const u64be = (b: Uint8Array, at: number): number => u32be(b, at) * 0x100000000 + u32be(b, at + 4);
const i32be = (b: Uint8Array, at: number): number => (b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!;

interface Box {
  type: string;
  /** Payload start and end (after the header). */
  start: number;
  end: number;
}

/** Child boxes of b[start, end); throws on sizes that overrun their parent. */
function boxes(b: Uint8Array, start: number, end: number): Box[] {
  const out: Box[] = [];
  for (let p = start; p + 8 <= end; ) {
    let size = u32be(b, p);
    let header = 8;
    if (size === 1) {
      size = u64be(b, p + 8);
      header = 16;
    } else if (size === 0) size = end - p;
    if (size < header || p + size > end) throw new Error('box overruns its parent');
    out.push({ type: fourcc(b, p + 4), start: p + header, end: p + size });
    p += size;
  }
  return out;
}

const child = (b: Uint8Array, parent: Box, type: string): Box | undefined => boxes(b, parent.start, parent.end).find((x) => x.type === type);

async function movIndex(src: Source): Promise<VideoIndex | undefined> {
  let moov: Uint8Array | undefined;
  for (let pos = 0; pos + 8 <= src.size; ) {
    const h = await src.read(pos, 16);
    let size = u32be(h, 0);
    let header = 8;
    if (size === 1) {
      if (h.length < 16) return undefined;
      size = u64be(h, 8);
      header = 16;
    } else if (size === 0) size = src.size - pos;
    if (size < header) return undefined;
    const type = fourcc(h, 4);
    // A box running past the end: truncated (ffmpeg reports it; leave it to the probe).
    if (pos + size > src.size) return undefined;
    if (type === 'moof') return undefined; // fragmented: samples live outside moov
    if (type === 'moov') {
      if (moov || size > MAX_HEADER_BYTES) return undefined;
      moov = (await src.read(pos + header, size - header)).slice();
    }
    pos += size;
  }
  if (!moov) return undefined;
  const root: Box = { type: 'moov', start: 0, end: moov.length };
  const top = boxes(moov, root.start, root.end);
  if (top.some((x) => x.type === 'mvex')) return undefined;
  const mvhd = top.find((x) => x.type === 'mvhd');
  if (!mvhd) return undefined;
  const movieScale = u32be(moov, mvhd.start + (moov[mvhd.start] === 1 ? 20 : 12));

  for (const trak of top.filter((x) => x.type === 'trak')) {
    const mdia = child(moov, trak, 'mdia');
    const hdlr = mdia && child(moov, mdia, 'hdlr');
    if (!mdia || !hdlr || fourcc(moov, hdlr.start + 8) !== 'vide') continue;
    // The first video track decides (ffmpeg's -map 0:V:0 is the first non-cover-art video stream).
    const index = videoTrackIndex(moov, trak, mdia, movieScale, src.size);
    const tkhd = child(moov, trak, 'tkhd');
    // tkhd ends with the display matrix (9 x 32 bits), then width and height in 16.16 fixed point.
    if (index && tkhd && tkhd.end - tkhd.start >= 84) {
      index.width = u32be(moov, tkhd.end - 8) >>> 16;
      index.height = u32be(moov, tkhd.end - 4) >>> 16;
      index.displayAngle = displayRotation(moov, tkhd.end - 44);
    }
    return index;
  }
  return undefined;
}

/** av_display_rotation_get() of a tkhd matrix: the angle ffmpeg prints as "displaymatrix: rotation of D degrees". */
function displayRotation(b: Uint8Array, m: number): number {
  const [a, bb, c, d] = [i32be(b, m), i32be(b, m + 4), i32be(b, m + 12), i32be(b, m + 16)].map((v) => v / 65536) as [number, number, number, number];
  const s0 = Math.hypot(a, c);
  const s1 = Math.hypot(bb, d);
  if (s0 === 0 || s1 === 0) return 0;
  const r = -(Math.atan2(bb / s1, a / s0) * 180) / Math.PI;
  return r === 0 ? 0 : r; // no -0
}

function fullBox(b: Uint8Array, box: Box | undefined): Box | undefined {
  return box && box.end - box.start >= 8 ? box : undefined;
}

function videoTrackIndex(b: Uint8Array, trak: Box, mdia: Box, movieScale: number, fileSize: number): VideoIndex | undefined {
  const mdhd = child(b, mdia, 'mdhd');
  const minf = child(b, mdia, 'minf');
  const stbl = minf && child(b, minf, 'stbl');
  if (!mdhd || !stbl) return undefined;
  const v1 = b[mdhd.start] === 1;
  const mediaScale = u32be(b, mdhd.start + (v1 ? 20 : 12));
  const stsz = fullBox(b, child(b, stbl, 'stsz'));
  const stts = fullBox(b, child(b, stbl, 'stts'));
  const stsc = fullBox(b, child(b, stbl, 'stsc'));
  const stco = fullBox(b, child(b, stbl, 'stco')) ?? fullBox(b, child(b, stbl, 'co64'));
  if (!stsz || !stts || !stsc || !stco) return undefined;

  // stsz: version/flags, sample_size, sample_count, [sizes].
  const sampleSize = u32be(b, stsz.start + 4);
  const count = u32be(b, stsz.start + 8);
  if (count === 0) return undefined;
  const sizeOf = (i: number): number => (sampleSize !== 0 ? sampleSize : u32be(b, stsz.start + 12 + 4 * i));
  if (sampleSize === 0 && stsz.start + 12 + 4 * count > stsz.end) return undefined;

  // stts: every sample has a duration; the totals must agree.
  const sttsN = u32be(b, stts.start + 4);
  if (stts.start + 8 + 8 * sttsN > stts.end) return undefined;
  let timed = 0;
  let mediaDuration = 0;
  for (let i = 0; i < sttsN; i++) {
    const n = u32be(b, stts.start + 8 + 8 * i);
    timed += n;
    mediaDuration += n * u32be(b, stts.start + 12 + 8 * i);
  }
  if (timed !== count) return undefined;

  // Every sample must lie inside the file (else ffmpeg reports a partial file).
  const co64 = fourcc(b, stco.start - 4) === 'co64';
  const chunks = u32be(b, stco.start + 4);
  if (stco.start + 8 + (co64 ? 8 : 4) * chunks > stco.end) return undefined;
  const chunkOffset = (c: number): number => (co64 ? u64be(b, stco.start + 8 + 8 * c) : u32be(b, stco.start + 8 + 4 * c));
  const runs = u32be(b, stsc.start + 4);
  if (runs === 0 || stsc.start + 8 + 12 * runs > stsc.end) return undefined;
  let sample = 0;
  const offset = new Float64Array(count);
  const sizes = new Uint32Array(count);
  for (let r = 0; r < runs; r++) {
    const first = u32be(b, stsc.start + 8 + 12 * r) - 1;
    const next = r + 1 < runs ? u32be(b, stsc.start + 8 + 12 * (r + 1)) - 1 : chunks;
    const perChunk = u32be(b, stsc.start + 12 + 12 * r);
    // Several sample descriptions (codec changes mid-stream): not something seeking should assume away.
    if (u32be(b, stsc.start + 16 + 12 * r) !== 1) return undefined;
    if (first < 0 || next > chunks || next < first) return undefined;
    for (let c = first; c < next && sample < count; c++) {
      let at = chunkOffset(c);
      for (let k = 0; k < perChunk && sample < count; k++, sample++) {
        offset[sample] = at;
        sizes[sample] = sizeOf(sample);
        at += sizes[sample]!;
      }
      if (at > fileSize) return undefined;
    }
  }
  if (sample !== count) return undefined;

  // Edit lists can make ffmpeg drop or repeat samples; accept only the one-entry shift that encoders write to
  // cancel the composition delay (the edit starts at or before the first presented sample and runs to the end).
  const edts = child(b, trak, 'edts');
  const elst = edts && fullBox(b, child(b, edts, 'elst'));
  if (edts && !elst) return undefined;
  if (elst) {
    const v1e = b[elst.start] === 1;
    const n = u32be(b, elst.start + 4);
    if (n !== 1) return undefined;
    const e = elst.start + 8;
    if (e + (v1e ? 20 : 12) > elst.end) return undefined;
    const segment = v1e ? u64be(b, e) : u32be(b, e);
    const mediaTime = v1e ? u64be(b, e + 8) : i32be(b, e + 4);
    const rate = i32be(b, e + (v1e ? 16 : 8));
    if (rate !== 0x10000 || mediaTime < 0) return undefined;
    if (mediaTime > minPresentationTime(b, stbl)) return undefined;
    if (movieScale <= 0 || mediaScale <= 0) return undefined;
    // A segment of 0 means "to the end"; otherwise it must cover the media after mediaTime (one tick of rounding).
    if (segment !== 0 && (segment * mediaScale) / movieScale + mediaScale / movieScale + 1 < mediaDuration - mediaTime) return undefined;
  }
  const entry = sampleEntry(b, stbl);
  if (!entry) return undefined;
  const key = syncSamples(b, stbl, count);
  if (!key) return undefined;
  const pts = presentationTimes(b, stbl, count);
  if (!pts) return undefined;
  return {
    format: 'mov', frames: count, width: 0, height: 0, codec: entry.type, displayAngle: 0, offset, size: sizes, key, pts,
    avcC: entry.avcC, hvcC: entry.hvcC, codedWidth: entry.width, codedHeight: entry.height, colour: entry.colour,
  };
}

/** The one sample description of the track: its type and, for H.264 / HEVC, the avcC / hvcC payload. */
function sampleEntry(b: Uint8Array, stbl: Box): { type: string; avcC?: Uint8Array; hvcC?: Uint8Array; width: number; height: number; colour?: Colour } | undefined {
  const stsd = fullBox(b, child(b, stbl, 'stsd'));
  if (!stsd || u32be(b, stsd.start + 4) !== 1) return undefined;
  const [entry] = boxes(b, stsd.start + 8, stsd.end);
  if (!entry) return undefined;
  // A visual sample entry has 78 bytes of fields before its child boxes.
  const kids = entry.end - entry.start > 78 ? boxes(b, entry.start + 78, entry.end) : [];
  const avcC = kids.find((k) => k.type === 'avcC');
  const hvcC = kids.find((k) => k.type === 'hvcC');
  const sized = entry.end - entry.start >= 28;
  return {
    type: entry.type,
    avcC: avcC && b.slice(avcC.start, avcC.end),
    hvcC: hvcC && b.slice(hvcC.start, hvcC.end),
    width: sized ? (b[entry.start + 24]! << 8) | b[entry.start + 25]! : 0,
    height: sized ? (b[entry.start + 26]! << 8) | b[entry.start + 27]! : 0,
    colour: colourOf(b, kids.find((k) => k.type === 'colr')),
  };
}

function colourOf(b: Uint8Array, colr: Box | undefined): Colour | undefined {
  if (!colr || colr.end - colr.start < 10) return undefined;
  const kind = fourcc(b, colr.start);
  if (kind !== 'nclx' && kind !== 'nclc') return undefined; // ICC profiles: ffmpeg ignores them
  const u16 = (at: number): number => (b[at]! << 8) | b[at + 1]!;
  const c: Colour = { primaries: u16(colr.start + 4), transfer: u16(colr.start + 6), matrix: u16(colr.start + 8) };
  if (kind === 'nclx' && colr.end - colr.start >= 11) c.fullRange = (b[colr.start + 10]! & 0x80) !== 0;
  return c;
}

/** stss as a keyframe flag per sample; without stss every sample is a sync sample. */
function syncSamples(b: Uint8Array, stbl: Box, count: number): Uint8Array | undefined {
  const key = new Uint8Array(count);
  const stss = fullBox(b, child(b, stbl, 'stss'));
  if (!stss) return key.fill(1);
  const n = u32be(b, stss.start + 4);
  if (stss.start + 8 + 4 * n > stss.end) return undefined;
  for (let i = 0; i < n; i++) {
    const s = u32be(b, stss.start + 8 + 4 * i) - 1;
    if (s < 0 || s >= count) return undefined;
    key[s] = 1;
  }
  return key;
}

/** Decode time (stts) plus composition offset (ctts, read as signed like ffmpeg) per sample. */
function presentationTimes(b: Uint8Array, stbl: Box, count: number): Float64Array | undefined {
  const pts = new Float64Array(count);
  const stts = child(b, stbl, 'stts')!;
  let i = 0;
  let dts = 0;
  for (let r = 0, runs = u32be(b, stts.start + 4); r < runs; r++) {
    const n = u32be(b, stts.start + 8 + 8 * r);
    const delta = u32be(b, stts.start + 12 + 8 * r);
    for (let k = 0; k < n && i < count; k++, i++, dts += delta) pts[i] = dts;
  }
  const ctts = fullBox(b, child(b, stbl, 'ctts'));
  if (!ctts) return pts;
  const runs = u32be(b, ctts.start + 4);
  if (ctts.start + 8 + 8 * runs > ctts.end) return undefined;
  i = 0;
  for (let r = 0; r < runs; r++) {
    const n = u32be(b, ctts.start + 8 + 8 * r);
    const off = i32be(b, ctts.start + 12 + 8 * r);
    for (let k = 0; k < n && i < count; k++, i++) pts[i]! += off;
  }
  return i === count ? pts : undefined;
}

/** Smallest decode time + composition offset over the samples (0 without ctts). */
function minPresentationTime(b: Uint8Array, stbl: Box): number {
  const ctts = fullBox(b, child(b, stbl, 'ctts'));
  if (!ctts) return 0;
  const stts = child(b, stbl, 'stts')!;
  const v1 = b[ctts.start] !== 0;
  const n = u32be(b, ctts.start + 4);
  if (ctts.start + 8 + 8 * n > ctts.end) return Infinity;
  // Decode times per sample from stts, walked alongside ctts runs.
  let sttsRun = 0;
  let sttsLeft = u32be(b, stts.start + 8);
  let delta = u32be(b, stts.start + 12);
  let dts = 0;
  let min = Infinity;
  for (let i = 0; i < n; i++) {
    const cnt = u32be(b, ctts.start + 8 + 8 * i);
    const off = v1 ? i32be(b, ctts.start + 12 + 8 * i) : u32be(b, ctts.start + 12 + 8 * i);
    for (let k = 0; k < cnt; k++) {
      min = Math.min(min, dts + off);
      while (sttsLeft === 0 && ++sttsRun < u32be(b, stts.start + 4)) {
        sttsLeft = u32be(b, stts.start + 8 + 8 * sttsRun);
        delta = u32be(b, stts.start + 12 + 8 * sttsRun);
      }
      dts += delta;
      sttsLeft--;
    }
  }
  return min;
}
