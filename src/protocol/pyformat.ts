// Python-compatible text of values: the seed's op answers `str(result["label"])` and `str(result["prob"])`,
// so clients receive Python's `str(list)` — e.g. "['archery']" and "[0.9907388687133789]" — and some parse it.

/**
 * Python's `repr(float)`: the shortest string that round-trips to the same double, in fixed notation when the
 * decimal exponent is in [-4, 16) and as `1e-05` / `1.5e+16` otherwise; integral values keep `.0`.
 */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  // toExponential() without an argument yields the shortest round-trip digits (ECMA-262 Number::toString rules).
  const m = /^(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(Math.abs(x).toExponential());
  if (!m) throw new Error(`unexpected number text for ${x}`);
  const digits = m[1] + (m[2] ?? '');
  const exp = Number(m[3]);
  if (exp < -4 || exp >= 16) {
    const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp);
    return `${sign}${mantissa}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const intLen = exp + 1;
  if (digits.length <= intLen) return `${sign}${digits}${'0'.repeat(intLen - digits.length)}.0`;
  return `${sign}${digits.slice(0, intLen)}.${digits.slice(intLen)}`;
}

// Characters Python's str.isprintable() rejects (categories Cc, Cf, Cs, Co, Cn, Zl, Zp, and Zs other than ' ').
const NON_PRINTABLE = /[\p{C}\p{Z}]/u;

/** Python's `repr(str)`: single quotes unless the text has ' and no ", escapes as CPython writes them. */
export function pyStrRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    if (ch === quote || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch !== ' ' && NON_PRINTABLE.test(ch)) {
      const cp = ch.codePointAt(0)!;
      const hex = cp.toString(16);
      if (cp < 0x100) out += '\\x' + hex.padStart(2, '0');
      else if (cp < 0x10000) out += '\\u' + hex.padStart(4, '0');
      else out += '\\U' + hex.padStart(8, '0');
    } else out += ch;
  }
  return out + quote;
}

/** Python's `str(list_of_str)`, e.g. "['archery', 'bowling']". */
export function pyStrList(items: readonly string[]): string {
  return `[${items.map(pyStrRepr).join(', ')}]`;
}

/** Python's `str(list_of_float)`, e.g. "[0.9907388687133789, 1e-05]". */
export function pyFloatList(items: readonly number[]): string {
  return `[${items.map(pyFloatRepr).join(', ')}]`;
}

/** Python's `str(list_of_int)`, e.g. "[3, 17]". */
export function pyIntList(items: readonly number[]): string {
  return `[${items.map((n) => String(Math.trunc(n))).join(', ')}]`;
}

const C_ESCAPES: Record<number, string> = { 9: '\\t', 10: '\\n', 13: '\\r', 34: '\\"', 39: "\\'", 92: '\\\\' };

/**
 * Python protobuf's text_encoding.CEscape (what text format writes inside quotes), over the bytes or over a string's
 * UTF-8 bytes: quotes, backslash and \t \n \r escaped, other control and non-ASCII bytes as 3-digit octal.
 */
export function cEscape(v: string | Uint8Array): string {
  let out = '';
  for (const b of typeof v === 'string' ? Buffer.from(v, 'utf8') : v) {
    const e = C_ESCAPES[b];
    out += e ?? (b < 32 || b >= 127 ? '\\' + b.toString(8).padStart(3, '0') : String.fromCharCode(b));
  }
  return out;
}
