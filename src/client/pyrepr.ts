// Python's repr() of the values `json.loads` produces, so `vidserve client http` prints a response exactly as the
// seed's `print(r.json())` does. JSON text is parsed here (not with JSON.parse) because Python keeps the int/float
// distinction that JavaScript numbers lose: `0` prints as `0`, `1.0` as `1.0`.
import { pyFloatRepr, pyStrRepr } from '../protocol/pyformat.ts';

/** A value as Python's json module would return it. */
export type PyValue =
  | { kind: 'int'; value: bigint }
  | { kind: 'float'; value: number }
  | { kind: 'str'; value: string }
  | { kind: 'bool'; value: boolean }
  | { kind: 'none' }
  | { kind: 'list'; items: PyValue[] }
  | { kind: 'dict'; entries: [string, PyValue][] };

/** repr() of a value from `json.loads`: dicts keep key order, as Python's do. */
export function pyRepr(v: PyValue): string {
  switch (v.kind) {
    case 'int':
      return v.value.toString();
    case 'float':
      return pyFloatRepr(v.value);
    case 'str':
      return pyStrRepr(v.value);
    case 'bool':
      return v.value ? 'True' : 'False';
    case 'none':
      return 'None';
    case 'list':
      return `[${v.items.map(pyRepr).join(', ')}]`;
    case 'dict':
      return `{${v.entries.map(([k, x]) => `${pyStrRepr(k)}: ${pyRepr(x)}`).join(', ')}}`;
  }
}

/** Parses JSON text as Python's json.loads does (NaN/Infinity accepted; duplicate keys: the last one wins). */
export function parsePyJson(text: string): PyValue {
  const p = new JsonReader(text);
  p.ws();
  const v = p.value();
  p.ws();
  if (p.pos !== text.length) p.fail('unexpected text after the JSON value');
  return v;
}

const NUMBER = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;

class JsonReader {
  pos = 0;
  constructor(private readonly s: string) {}

  fail(what: string): never {
    throw new SyntaxError(`invalid JSON at offset ${this.pos}: ${what}`);
  }

  ws(): void {
    while (this.pos < this.s.length && ' \t\n\r'.includes(this.s[this.pos]!)) this.pos++;
  }

  private take(word: string): boolean {
    if (this.s.startsWith(word, this.pos)) {
      this.pos += word.length;
      return true;
    }
    return false;
  }

  value(): PyValue {
    const c = this.s[this.pos];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return { kind: 'str', value: this.string() };
    if (this.take('true')) return { kind: 'bool', value: true };
    if (this.take('false')) return { kind: 'bool', value: false };
    if (this.take('null')) return { kind: 'none' };
    if (this.take('NaN')) return { kind: 'float', value: NaN };
    if (this.take('Infinity')) return { kind: 'float', value: Infinity };
    if (this.take('-Infinity')) return { kind: 'float', value: -Infinity };
    return this.number();
  }

  private object(): PyValue {
    this.pos++;
    const entries: [string, PyValue][] = [];
    this.ws();
    if (this.take('}')) return { kind: 'dict', entries };
    for (;;) {
      this.ws();
      if (this.s[this.pos] !== '"') this.fail('expected a string key');
      const key = this.string();
      this.ws();
      if (!this.take(':')) this.fail("expected ':'");
      this.ws();
      const v = this.value();
      const at = entries.findIndex(([k]) => k === key);
      if (at >= 0) entries[at] = [key, v];
      else entries.push([key, v]);
      this.ws();
      if (this.take('}')) return { kind: 'dict', entries };
      if (!this.take(',')) this.fail("expected ',' or '}'");
    }
  }

  private array(): PyValue {
    this.pos++;
    const items: PyValue[] = [];
    this.ws();
    if (this.take(']')) return { kind: 'list', items };
    for (;;) {
      this.ws();
      items.push(this.value());
      this.ws();
      if (this.take(']')) return { kind: 'list', items };
      if (!this.take(',')) this.fail("expected ',' or ']'");
    }
  }

  private string(): string {
    this.pos++;
    let out = '';
    for (;;) {
      const c = this.s[this.pos++];
      if (c === undefined) this.fail('unterminated string');
      if (c === '"') return out;
      if (c === '\\') {
        const e = this.s[this.pos++];
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e !== undefined && e in simple) out += simple[e];
        else if (e === 'u') {
          const h = this.s.slice(this.pos, this.pos + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(h)) this.fail('bad \\u escape');
          out += String.fromCharCode(parseInt(h, 16)); // surrogate pairs recombine in the JS string
          this.pos += 4;
        } else this.fail('bad escape');
      } else if (c < ' ') this.fail('control character in string');
      else out += c;
    }
  }

  private number(): PyValue {
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(this.s);
    if (!m) this.fail('expected a value');
    this.pos += m[0].length;
    if (m[2] === undefined && m[3] === undefined) return { kind: 'int', value: BigInt(m[0]) };
    return { kind: 'float', value: Number(m[0]) };
  }
}
