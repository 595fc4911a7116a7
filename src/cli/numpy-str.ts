// str() of small 1-D NumPy arrays with NumPy's default print options (precision 8, floatmode 'maxprec',
// suppress False), which is what tools/predict.py prints for topk_class (int64) and topk_scores (float32).

/** str(np.array(ints)): elements right-aligned to the widest, e.g. [ 5 12]. */
export function npIntArrayStr(values: readonly number[]): string {
  const strs = values.map((v) => String(v));
  const w = Math.max(0, ...strs.map((s) => s.length));
  return `[${strs.map((s) => s.padStart(w)).join(' ')}]`;
}

/** The shortest significand digits that read back as the same float32 (Dragon4's unique mode): x = d.ddd × 10^exp. */
function shortestF32(x: number): { digits: string; exp: number } {
  let s = x.toExponential(8);
  for (let p = 0; p <= 8; p++) {
    const t = x.toExponential(p);
    if (Math.fround(Number(t)) === x) {
      s = t;
      break;
    }
  }
  const [m, e] = s.split('e') as [string, string];
  return { digits: m.replace('.', '').replace(/0+$/, '') || '0', exp: Number(e) };
}

/** Positional digits of a non-negative float32: unique, at most `precision` fractional digits, trailing zeros trimmed ('1.'). */
function positional(x: number, precision: number): string {
  if (x === 0) return '0.';
  const { digits, exp } = shortestF32(x);
  let int: string;
  let frac: string;
  if (exp >= 0) {
    int = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
    frac = digits.slice(exp + 1);
  } else {
    int = '0';
    frac = '0'.repeat(-exp - 1) + digits;
  }
  if (frac.length > precision) [int, frac] = x.toFixed(precision).replace(/0+$/, '').split('.') as [string, string];
  return `${int}.${frac ?? ''}`;
}

/** Scientific digits of a float32: unique mantissa, at least two exponent digits (1.2345e-05). */
function scientific(x: number): { mantissa: string; exp: string } {
  const { digits, exp } = shortestF32(Math.abs(x));
  const mantissa = `${x < 0 ? '-' : ''}${digits[0]}.${digits.slice(1)}`;
  return { mantissa, exp: `e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}` };
}

const signed = (x: number, s: string): string => (x < 0 || Object.is(x, -0) ? `-${s}` : s);

/** str(np.array(float32 values)). */
export function npFloat32ArrayStr(values: readonly number[], precision = 8): string {
  const xs = values.map(Math.fround);
  if (xs.length === 0) return '[]';
  if (xs.some((v) => !Number.isFinite(v))) return `[${xs.map((v) => (Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf')).join(' ')}]`;
  const nonZero = xs.filter((v) => v !== 0).map(Math.abs);
  const max = Math.max(0, ...nonZero);
  const min = nonZero.length ? Math.min(...nonZero) : 0;
  const expFormat = nonZero.length > 0 && (max >= 1e8 || min < 0.0001 || max / min > 1000);
  if (expFormat) {
    const parts = xs.map(scientific);
    const fracLen = Math.max(...parts.map((p) => p.mantissa.split('.')[1]!.length));
    const intLen = Math.max(...parts.map((p) => p.mantissa.split('.')[0]!.length));
    return `[${parts
      .map((p) => {
        const [i, f] = p.mantissa.split('.') as [string, string];
        return `${i.padStart(intLen)}.${f.padEnd(fracLen, '0')}${p.exp}`;
      })
      .join(' ')}]`;
  }
  const strs = xs.map((v) => signed(v, positional(Math.abs(v), precision)));
  const ints = strs.map((s) => s.split('.')[0]!);
  const fracs = strs.map((s) => s.split('.')[1]!);
  const padLeft = Math.max(...ints.map((s) => s.length));
  const padRight = Math.max(...fracs.map((s) => s.length));
  return `[${strs.map((_, i) => `${ints[i]!.padStart(padLeft)}.${fracs[i]!.padEnd(padRight)}`).join(' ')}]`;
}
