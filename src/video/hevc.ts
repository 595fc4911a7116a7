// HEVC (H.265) in MP4/MOV ('hvc1' / 'hev1') for the seeking decode (seek.ts): the hvcC configuration, what each
// sample holds (NAL unit types, TemporalId), and from that which samples others may need and where decoding can start.
//
// Reference pictures. A sub-layer non-reference picture (TRAIL_N, TSA_N, STSA_N, RADL_N, RASL_N, RSV_VCL_N10/12/14)
// is never used for inter prediction by pictures of the same or a lower TemporalId, but may be by higher ones; it is
// left out only when its TemporalId is the highest in the stream. Such pictures are also never the "prevTid0Pic" of
// the POC derivation (8.3.1), so leaving them out changes no other picture's POC.
//
// Start points. An IDR (IDR_W_RADL, IDR_N_LP) resets the decoder. A CRA is a start point too, handled as a BLA picture
// (the spec's HandleCraAsBlaFlag, what a splicer does; seek.ts writes the group's first CRA as BLA_W_LP): its RASL
// pictures are not output then, so they are not fed, and a wanted RASL picture decodes from the start point before
// its CRA. Everything else after the CRA decodes as in the full decode: the CRA is intra; trailing and RADL pictures
// may not reference pictures before it or RASL pictures (8.3.2 — and a picture whose reference is missing makes
// ffmpeg log "Could not find ref with POC", which seek.ts rejects); the POC restarts at its LSB, which shifts every
// POC of the group by a multiple of MaxPicOrderCntLsb: differences (motion vector scaling) and LSBs (long-term
// references) stay the same. Its slice header must not ask to drop pictures not yet output
// (no_output_of_prior_pics_flag), so the previous group's frames all come out first.
//
// Not covered (the full decode runs): BLA pictures and end-of-sequence/bitstream NAL units (the full decode then drops
// RASL pictures), reserved VCL types (ffmpeg skips them), PPSs with output_flag_present_flag (pictures may be hidden),
// IRAP pictures with no_output_of_prior_pics_flag, a stream not starting at an IDR, more than one picture per sample,
// an hvcC without its VPS, SPS and PPS (sets only in band).
//
// Parameter sets: an IRAP picture after in-band sets (hev1) unlike hvcC's is a start point only where its own sample
// repeats them (parameter-sets.ts, shared with H.264).
import { withKnownSets } from './parameter-sets.ts';

const NAL = { RASL_N: 8, RASL_R: 9, BLA_W_LP: 16, BLA_N_LP: 18, IDR_W_RADL: 19, IDR_N_LP: 20, CRA: 21, VPS: 32, SPS: 33, PPS: 34, EOS: 36, EOB: 37, SEI_PREFIX: 39, SEI_SUFFIX: 40 } as const;

const isIrap = (t: number): boolean => t >= NAL.BLA_W_LP && t <= 23;
const isIdr = (t: number): boolean => t === NAL.IDR_W_RADL || t === NAL.IDR_N_LP;
const isRasl = (t: number): boolean => t === NAL.RASL_N || t === NAL.RASL_R;
/** Sub-layer non-reference picture types: the even VCL types up to RSV_VCL_N14. */
export const isSubLayerNonReference = (t: number): boolean => t <= 14 && t % 2 === 0;
/** VCL types ffmpeg decodes: TRAIL..RASL (0-9) and the IRAP types it knows (16-21). */
const decodable = (t: number): boolean => t <= 9 || (t >= NAL.BLA_W_LP && t <= NAL.CRA);

/** The hvcC box: NAL length size, the parameter sets (and SEIs) as Annex B, and each of them as a NAL unit. */
export interface HevcConfig {
  nalLength: number;
  parameterSets: Uint8Array;
  nals: Uint8Array[];
}

/** ISO/IEC 14496-15 HEVCDecoderConfigurationRecord; undefined if malformed or holding NAL types ffmpeg refuses. */
export function parseHvcC(c: Uint8Array): HevcConfig | undefined {
  if (c.length < 23 || c[0] !== 1) return undefined;
  const nalLength = (c[21]! & 3) + 1;
  if (nalLength === 3) return undefined; // lengthSizeMinusOne 2 is not allowed
  const nals: Uint8Array[] = [];
  let at = 23;
  for (let a = 0, arrays = c[22]!; a < arrays; a++) {
    if (at + 3 > c.length) return undefined;
    const type = c[at]! & 0x3f;
    // What ffmpeg's hevc_mp4toannexb accepts in the configuration.
    if (![NAL.VPS, NAL.SPS, NAL.PPS, NAL.SEI_PREFIX, NAL.SEI_SUFFIX].includes(type as 32)) return undefined;
    const count = (c[at + 1]! << 8) | c[at + 2]!;
    at += 3;
    for (let i = 0; i < count; i++) {
      if (at + 2 > c.length) return undefined;
      const len = (c[at]! << 8) | c[at + 1]!;
      at += 2;
      if (len < 2 || at + len > c.length) return undefined;
      const nal = c.subarray(at, at + len);
      if (nal[0]! & 0x80 || ((nal[0]! >> 1) & 0x3f) !== type) return undefined;
      nals.push(nal);
      at += len;
    }
  }
  const sets = nals.filter((n) => nalType(n) <= NAL.PPS);
  if (![NAL.VPS, NAL.SPS, NAL.PPS].every((t) => sets.some((n) => nalType(n) === t))) return undefined;
  if (sets.some((n) => nalType(n) === NAL.PPS && outputFlagPresent(n) !== false)) return undefined;
  const parameterSets = new Uint8Array(nals.reduce((k, n) => k + 4 + n.length, 0));
  let p = 0;
  for (const n of nals) {
    parameterSets.set([0, 0, 0, 1], p);
    parameterSets.set(n, p + 4);
    p += 4 + n.length;
  }
  return { nalLength, parameterSets, nals };
}

const nalType = (nal: Uint8Array): number => (nal[0]! >> 1) & 0x3f;

/** One sample: the picture's NAL unit type and TemporalId, its IRAP flag, and any parameter sets it carries. */
export interface HevcPicture {
  type: number;
  temporalId: number;
  /** IRAP pictures: the first slice's no_output_of_prior_pics_flag. */
  noOutputOfPriorPics: boolean;
  /** VPS/SPS/PPS NAL units in the sample (hev1 may repeat or change them in band). */
  parameterSets: Uint8Array[];
  /** An end of sequence or bitstream NAL unit. */
  endOfSequence: boolean;
}

/**
 * One MP4 HEVC sample: its NAL units must fill it exactly and hold exactly one picture (the first slice segment of a
 * picture once, at the first VCL NAL unit) of a type ffmpeg decodes; all its slices share type and TemporalId.
 * NAL units of other layers (nuh_layer_id > 0: MV-HEVC, scalable) are ignored, as ffmpeg ignores them.
 */
export function hevcPicture(b: Uint8Array, nalLength: number): HevcPicture | undefined {
  let type = -1;
  let temporalId = -1;
  let firsts = 0;
  let noOutputOfPriorPics = false;
  let endOfSequence = false;
  const parameterSets: Uint8Array[] = [];
  for (let at = 0; at < b.length; ) {
    if (at + nalLength > b.length) return undefined;
    let len = 0;
    for (let i = 0; i < nalLength; i++) len = len * 256 + b[at + i]!;
    at += nalLength;
    if (len < 2 || at + len > b.length) return undefined;
    const nal = b.subarray(at, at + len);
    at += len;
    if (nal[0]! & 0x80) return undefined; // forbidden_zero_bit
    const t = nalType(nal);
    const layer = ((nal[0]! & 1) << 5) | (nal[1]! >> 3);
    const tid = (nal[1]! & 7) - 1;
    if (tid < 0) return undefined;
    if (layer !== 0) continue;
    if (t < 32) {
      if (!decodable(t) || len < 3) return undefined;
      const first = (nal[2]! & 0x80) !== 0;
      if (type < 0) {
        if (!first) return undefined; // a picture's first slice segment comes first
        type = t;
        temporalId = tid;
        noOutputOfPriorPics = isIrap(t) && (nal[2]! & 0x40) !== 0;
      } else if (t !== type || tid !== temporalId) return undefined;
      if (first) firsts++;
    } else if (t <= NAL.PPS) {
      if (t === NAL.PPS && outputFlagPresent(nal) !== false) return undefined;
      parameterSets.push(nal.slice()); // a copy: the packet's block is not kept
    } else if (t === NAL.EOS || t === NAL.EOB) endOfSequence = true;
  }
  if (firsts !== 1) return undefined;
  return { type, temporalId, noOutputOfPriorPics, parameterSets, endOfSequence };
}

/** A PPS's output_flag_present_flag (after two ue(v) ids and one flag), undefined if the NAL unit is too short. */
function outputFlagPresent(pps: Uint8Array): boolean | undefined {
  const bits = new Rbsp(pps.subarray(2));
  if (bits.ue() === undefined || bits.ue() === undefined) return undefined;
  bits.bit(); // dependent_slice_segments_enabled_flag
  const flag = bits.bit();
  return flag === undefined ? undefined : flag === 1;
}

/** Bits of a NAL unit payload with its emulation prevention bytes (00 00 03) removed. */
class Rbsp {
  private pos = 0;
  private zeros = 0;
  private byte = 0;
  private left = 0;
  constructor(private readonly b: Uint8Array) {}
  bit(): number | undefined {
    if (this.left === 0) {
      if (this.pos >= this.b.length) return undefined;
      let v = this.b[this.pos++]!;
      if (this.zeros >= 2 && v === 3) {
        if (this.pos >= this.b.length) return undefined;
        v = this.b[this.pos++]!;
        this.zeros = 0;
      }
      this.zeros = v === 0 ? this.zeros + 1 : 0;
      this.byte = v;
      this.left = 8;
    }
    this.left--;
    return (this.byte >> this.left) & 1;
  }
  ue(): number | undefined {
    let zeros = 0;
    for (;;) {
      const b = this.bit();
      if (b === undefined || zeros > 31) return undefined;
      if (b) break;
      zeros++;
    }
    let v = 0;
    for (let i = 0; i < zeros; i++) {
      const b = this.bit();
      if (b === undefined) return undefined;
      v = v * 2 + b;
    }
    return 2 ** zeros - 1 + v;
  }
}

/** What seeking needs per sample (decode order); see seek.ts's SeekIndex. */
export interface HevcDependencies {
  ref: Uint8Array;
  start: Uint8Array;
  reach: Int32Array;
}

/**
 * From every sample's picture: which samples others may need, where decoding can start, and for each sample the
 * latest start point it decodes from; undefined when the stream is not covered (see the top of this file).
 */
export function hevcDependencies(pictures: readonly HevcPicture[], config: HevcConfig, opts: { craStarts?: boolean } = {}): HevcDependencies | undefined {
  const n = pictures.length;
  if (n === 0 || !isIdr(pictures[0]!.type)) return undefined;
  const craStarts = opts.craStarts ?? true;
  let maxTid = 0;
  for (const p of pictures) {
    if (p.endOfSequence || (p.noOutputOfPriorPics && p !== pictures[0]) || (isIrap(p.type) && !isIdr(p.type) && p.type !== NAL.CRA)) return undefined;
    maxTid = Math.max(maxTid, p.temporalId);
  }
  const ref = new Uint8Array(n);
  const reach = new Int32Array(n);
  const candidates = Uint8Array.from(pictures, (p) => (isIdr(p.type) || (craStarts && p.type === NAL.CRA) ? 1 : 0));
  const sets = config.nals.filter((x) => nalType(x) <= NAL.PPS);
  const start = withKnownSets(candidates, pictures.map((p) => p.parameterSets), sets, [NAL.VPS, NAL.SPS, NAL.PPS], nalType);
  let lastStart = 0;
  let irap = 0; // the IRAP picture a RASL picture belongs to: the last one before it in decode order
  let beforeIrap = 0; // the latest start point before that IRAP
  for (let i = 0; i < n; i++) {
    const p = pictures[i]!;
    ref[i] = isSubLayerNonReference(p.type) && p.temporalId === maxTid && p.parameterSets.length === 0 ? 0 : 1;
    if (isIrap(p.type)) {
      beforeIrap = lastStart;
      irap = i;
      if (start[i]) lastStart = i;
    }
    // A RASL picture of a start CRA needs what came before that CRA.
    reach[i] = isRasl(p.type) && lastStart === irap && irap > 0 ? beforeIrap : lastStart;
  }
  return { ref, start, reach };
}

/** The first slice segments of a group's first picture: a CRA becomes BLA_W_LP (decoding starts there). */
export function asStreamStart(nal: Uint8Array): Uint8Array {
  if (nalType(nal) !== NAL.CRA) return nal;
  const out = nal.slice();
  out[0] = (out[0]! & 0x81) | (NAL.BLA_W_LP << 1);
  return out;
}
