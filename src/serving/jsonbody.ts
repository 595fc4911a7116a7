// A JSON parser over the raw body bytes that leaves long plain strings (the 40–100 MB base64 `frames` value) as
// byte ranges instead of building a JS string from them: the base64 decoder then reads the bytes directly.
// Everything else becomes ordinary JS values. Standard JSON grammar; errors carry the byte offset.

export class ByteSpan {
  constructor(
    readonly buf: Buffer,
    readonly start: number,
    readonly end: number,
  ) {}

  get length(): number {
    return this.end - this.start;
  }

  toString(): string {
    return this.buf.toString('utf8', this.start, this.end);
  }
}

export type JsonValue = null | boolean | number | string | ByteSpan | JsonValue[] | { [k: string]: JsonValue };

export class JsonBodyError extends Error {
  override name = 'JsonBodyError';
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MAX_DEPTH = 64;

/** Strings (JSON) and bytes entries (protobuf) from this size on stay spans of the body instead of JS strings. */
export const SPAN_THRESHOLD = 4096;

/** Parses `buf` as one JSON document; strings of at least SPAN_THRESHOLD bytes without escapes become ByteSpans. */
export function parseJsonBytes(buf: Buffer): JsonValue {
  let pos = 0;
  const n = buf.length;

  const fail = (what: string): never => {
    const near = buf.toString('utf8', Math.max(0, pos - 10), Math.min(n, pos + 10)).replace(/\s+/g, ' ');
    throw new JsonBodyError(`${what} at byte ${pos} (near ${JSON.stringify(near)})`);
  };
  const ws = () => {
    while (pos < n) {
      const c = buf[pos]!;
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) pos++;
      else break;
    }
  };

  const parseString = (): string | ByteSpan => {
    const start = pos + 1;
    const close = buf.indexOf(QUOTE, start);
    if (close < 0) fail('unterminated string');
    // Only inside the string: an unbounded search would scan the rest of a 40 MB body for every key.
    if (buf.subarray(start, close).indexOf(BACKSLASH) < 0) {
      pos = close + 1;
      if (close - start >= SPAN_THRESHOLD) return new ByteSpan(buf, start, close);
      for (let i = start; i < close; i++) if (buf[i]! < 0x20) fail('control character in string');
      return buf.toString('utf8', start, close);
    }
    // Escapes present: find the real closing quote, then let JSON.parse decode the escapes.
    let i = start;
    for (;;) {
      if (i >= n) fail('unterminated string');
      const c = buf[i]!;
      if (c === BACKSLASH) i += 2;
      else if (c === QUOTE) break;
      else i++;
    }
    const text = buf.toString('utf8', pos, i + 1);
    try {
      const s = JSON.parse(text) as string;
      pos = i + 1;
      return s;
    } catch {
      return fail('invalid string escape');
    }
  };

  const parseValue = (depth: number): JsonValue => {
    if (depth > MAX_DEPTH) fail('nesting too deep');
    ws();
    if (pos >= n) fail('unexpected end of body');
    const c = buf[pos]!;
    if (c === QUOTE) return parseString();
    if (c === 0x7b /* { */) {
      pos++;
      const obj: { [k: string]: JsonValue } = Object.create(null);
      ws();
      if (buf[pos] === 0x7d) {
        pos++;
        return obj;
      }
      for (;;) {
        ws();
        if (buf[pos] !== QUOTE) fail('expected a quoted key');
        const k = parseString();
        const key = typeof k === 'string' ? k : k.toString();
        ws();
        if (buf[pos] !== 0x3a /* : */) fail("expected ':'");
        pos++;
        obj[key] = parseValue(depth + 1);
        ws();
        if (buf[pos] === 0x2c) {
          pos++;
          continue;
        }
        if (buf[pos] === 0x7d) {
          pos++;
          return obj;
        }
        fail("expected ',' or '}'");
      }
    }
    if (c === 0x5b /* [ */) {
      pos++;
      const arr: JsonValue[] = [];
      ws();
      if (buf[pos] === 0x5d) {
        pos++;
        return arr;
      }
      for (;;) {
        arr.push(parseValue(depth + 1));
        ws();
        if (buf[pos] === 0x2c) {
          pos++;
          continue;
        }
        if (buf[pos] === 0x5d) {
          pos++;
          return arr;
        }
        fail("expected ',' or ']'");
      }
    }
    // number or literal: take the token up to a delimiter
    let end = pos;
    while (end < n) {
      const d = buf[end]!;
      if (d === 0x2c || d === 0x7d || d === 0x5d || d === 0x20 || d === 0x0a || d === 0x0d || d === 0x09) break;
      end++;
    }
    const tok = buf.toString('latin1', pos, end);
    if (tok === 'true' || tok === 'false' || tok === 'null') {
      pos = end;
      return tok === 'null' ? null : tok === 'true';
    }
    if (/^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(tok)) {
      pos = end;
      return Number(tok);
    }
    return fail(`unexpected token ${JSON.stringify(tok.slice(0, 20))}`);
  };

  // Tolerate a UTF-8 byte-order mark.
  if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) pos = 3;
  const v = parseValue(0);
  ws();
  if (pos !== n) fail('unexpected data after the JSON value');
  return v;
}
