// JSON text as Paddle's writer (nlohmann::json::dump() without indentation) produces it: object keys in sorted
// order (nlohmann's objects are std::map), no spaces, and floating-point numbers in nlohmann's notation — the
// shortest round-trip digits, integral values with ".0", decimal form for exponents in [-4, 15) and otherwise
// "d.ddde±XX" with at least two exponent digits (nlohmann/detail/conversions/to_chars.hpp format_buffer).

/** A number written as a JSON float (FloatAttribute / DoubleAttribute data), as opposed to an integer. */
export class JsonFloat {
  constructor(readonly value: number) {}
}

export type JsonOut = null | boolean | number | string | JsonFloat | JsonOut[] | { [key: string]: JsonOut };

export function dumpJson(v: JsonOut): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new Error(`dumpJson: ${v} is not an integer; wrap floats in JsonFloat`);
    return String(v);
  }
  if (typeof v === 'string') return JSON.stringify(v);
  if (v instanceof JsonFloat) return formatDouble(v.value);
  if (Array.isArray(v)) return `[${v.map(dumpJson).join(',')}]`;
  const keys = Object.keys(v).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return `{${keys.map((k) => `${JSON.stringify(k)}:${dumpJson(v[k]!)}`).join(',')}}`;
}

/** nlohmann's float notation (non-finite values are written as null, as nlohmann does). */
export function formatDouble(x: number): string {
  if (!Number.isFinite(x)) return 'null';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  // Shortest round-trip digits and the decimal exponent: x = 0.d1d2…dk × 10^n.
  const [mant, exp] = Math.abs(x).toExponential().split('e') as [string, string];
  const digits = mant.replace('.', '');
  const k = digits.length;
  const n = Number(exp) + 1;
  let body: string;
  if (k <= n && n <= 15) body = `${digits}${'0'.repeat(n - k)}.0`;
  else if (0 < n && n <= 15) body = `${digits.slice(0, n)}.${digits.slice(n)}`;
  else if (-4 < n && n <= 0) body = `0.${'0'.repeat(-n)}${digits}`;
  else {
    const e = n - 1;
    const mantissa = k === 1 ? digits : `${digits[0]}.${digits.slice(1)}`;
    body = `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  }
  return sign + body;
}
