// Strict reader for the Python literals a Paddle Serving pipeline puts in its response values, e.g. "['archery']"
// and "[0.9907388687133789]" (Python's str(list)). Only literals are accepted — lists, tuples, str, int, float
// (incl. inf/nan as str() prints them), True/False/None — never anything evaluated.

export type PyLiteral = string | number | boolean | null | PyLiteral[];

export class PyLiteralError extends Error {
  constructor(text: string, pos: number, what: string) {
    const shown = text.length > 80 ? text.slice(0, 77) + '...' : text;
    super(`not a Python literal at offset ${pos} (${what}): ${JSON.stringify(shown)}`);
    this.name = 'PyLiteralError';
  }
}

export function parsePyLiteral(text: string): PyLiteral {
  const r = new LiteralReader(text);
  r.ws();
  const v = r.value();
  r.ws();
  if (r.pos !== text.length) r.fail('unexpected text after the value');
  return v;
}

const NUMBER = /[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf|nan)/y;
const WORD = /[A-Za-z_]+/y;

class LiteralReader {
  pos = 0;
  constructor(private readonly s: string) {}

  fail(what: string): never {
    throw new PyLiteralError(this.s, this.pos, what);
  }

  ws(): void {
    while (this.pos < this.s.length && ' \t\n\r'.includes(this.s[this.pos]!)) this.pos++;
  }

  value(): PyLiteral {
    const c = this.s[this.pos];
    if (c === '[') return this.sequence(']');
    if (c === '(') return this.sequence(')');
    if (c === "'" || c === '"') return this.string(c);
    WORD.lastIndex = this.pos;
    const w = WORD.exec(this.s);
    if (w && w[0] !== 'inf' && w[0] !== 'nan') {
      const words: Record<string, boolean | null> = { True: true, False: false, None: null };
      if (!(w[0] in words)) this.fail(`unexpected name '${w[0]}'`);
      this.pos += w[0].length;
      return words[w[0]]!;
    }
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(this.s);
    if (!m) this.fail('expected a value');
    this.pos += m[0].length;
    const body = m[0].replace(/^[+-]/, '');
    const neg = m[0].startsWith('-');
    if (body === 'inf') return neg ? -Infinity : Infinity;
    if (body === 'nan') return NaN;
    return Number(m[0]);
  }

  private sequence(close: ']' | ')'): PyLiteral[] {
    this.pos++;
    const items: PyLiteral[] = [];
    for (;;) {
      this.ws();
      if (this.s[this.pos] === close) {
        this.pos++;
        return items;
      }
      items.push(this.value());
      this.ws();
      if (this.s[this.pos] === ',') this.pos++;
      else if (this.s[this.pos] !== close) this.fail(`expected ',' or '${close}'`);
    }
  }

  private string(quote: string): string {
    this.pos++;
    let out = '';
    for (;;) {
      const c = this.s[this.pos++];
      if (c === undefined || c === '\n') this.fail('unterminated string');
      if (c === quote) return out;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.s[this.pos++];
      const simple: Record<string, string> = {
        '\\': '\\', "'": "'", '"': '"', n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v', '\n': '',
      };
      if (e === undefined) this.fail('unterminated escape');
      if (e in simple) out += simple[e];
      else if (e === 'x' || e === 'u' || e === 'U') {
        const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
        const h = this.s.slice(this.pos, this.pos + n);
        if (h.length !== n || !/^[0-9a-fA-F]+$/.test(h)) this.fail(`bad \\${e} escape`);
        const cp = parseInt(h, 16);
        if (cp > 0x10ffff) this.fail('code point out of range');
        out += String.fromCodePoint(cp);
        this.pos += n;
      } else if (/[0-7]/.test(e)) {
        let oct = e;
        while (oct.length < 3 && /[0-7]/.test(this.s[this.pos] ?? '')) oct += this.s[this.pos++];
        out += String.fromCodePoint(parseInt(oct, 8));
      } else out += '\\' + e; // Python keeps unknown escapes literally
    }
  }
}
