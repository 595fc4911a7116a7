// Which start points of the seeking decode (seek.ts) see the parameter sets that the full decode has in force there,
// for H.264 and HEVC alike. Each group gets the configuration record's sets (avcC / hvcC) in front, then its first
// sample's own; in-band sets are fed wherever they occur inside a group (samples carrying them are never left out).
// A set's bytes include its id, so a later copy replaces the same set. Hence a start point is safe when every
// in-band set before it that is not a copy of one in the record is repeated in its own sample, and the record holds
// one set of each kind (two with the same id would leave the one in force unknown). The first sample is always safe.

/**
 * `candidates` (1 per sample where decoding could start) less those where the sets in force would differ.
 * `inBand[i]`: the parameter-set NAL units of sample i; `config`: the record's; `kinds`: each kind's NAL unit type
 * (e.g. SPS, PPS), `kindOf` a NAL unit's type.
 */
export function withKnownSets(
  candidates: Uint8Array,
  inBand: ReadonlyArray<readonly Uint8Array[]>,
  config: readonly Uint8Array[],
  kinds: readonly number[],
  kindOf: (nal: Uint8Array) => number,
): Uint8Array {
  const single = kinds.every((k) => config.filter((x) => kindOf(x) === k).length === 1);
  const start = new Uint8Array(candidates.length);
  const foreign: Uint8Array[] = []; // in-band sets so far that are not copies of the record's
  for (let i = 0; i < candidates.length; i++) {
    const sets = inBand[i] ?? [];
    if (candidates[i] && (i === 0 || (single && foreign.every((f) => sets.some((s) => sameSet(f, s)))))) start[i] = 1;
    for (const s of sets) if (!config.some((k) => sameSet(k, s)) && !foreign.some((k) => sameSet(k, s))) foreign.push(s);
  }
  return start;
}

/** The same parameter set: equal bytes up to trailing zero bytes (padding: a NAL unit never ends in 0x00). */
function sameSet(a: Uint8Array, b: Uint8Array): boolean {
  let m = a.length;
  let n = b.length;
  while (m > 0 && a[m - 1] === 0) m--;
  while (n > 0 && b[n - 1] === 0) n--;
  if (m !== n) return false;
  for (let i = 0; i < m; i++) if (a[i] !== b[i]) return false;
  return true;
}
