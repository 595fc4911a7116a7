// Paddle Serving's model configuration (GeneralModelConfig): built from a Paddle program the way
// paddle_serving_client.io.save_model does, written as protobuf text (as Python's text_format prints it) and as the
// binary `.stream.prototxt`, and read back from either.
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { ModelFormatError } from '../errors.ts';
import { cEscape } from '../protocol/pyformat.ts';
import { VarTypeCode, type DType, type ProgramDesc, type VarDesc } from './types.ts';

/** One feed_var / fetch_var. For fetches `feedType` holds fetch_type (same codes). */
export interface ServingVar {
  name: string;
  alias: string;
  isLodTensor: boolean;
  feedType: number;
  shape: number[];
}

export interface GeneralModelConfig {
  feeds: ServingVar[];
  fetches: ServingVar[];
}

/** Paddle Serving's type codes (io/__init__.py var_type_conversion); -1 when it has none. */
const SERVING_TYPE: Record<DType, number> = {
  int64: 0,
  float32: 1,
  int32: 2,
  float64: 3,
  int16: 4,
  float16: 5,
  bfloat16: 6,
  uint8: 7,
  int8: 8,
  bool: 9,
};

export function servingTypeCode(dtype: DType | undefined): number {
  return dtype === undefined ? -1 : SERVING_TYPE[dtype];
}

// ---- from a program ----

/** Feed targets in feed-op `col` order, fetch targets in fetch-op `col` order (as load_inference_model lists them). */
export function feedFetchTargets(program: ProgramDesc): { feeds: string[]; fetches: string[] } {
  const block = program.blocks[0];
  const collect = (type: string, slot: 'inputs' | 'outputs', arg: string): string[] => {
    const found: { col: number; name: string }[] = [];
    for (const op of block?.ops ?? []) {
      if (op.type !== type) continue;
      const col = op.attrs.col;
      const name = op[slot][arg]?.[0];
      if (name !== undefined) found.push({ col: col?.kind === 'int' ? col.value : found.length, name });
    }
    return found.sort((a, b) => a.col - b.col).map((f) => f.name);
  };
  return { feeds: collect('feed', 'outputs', 'Out'), fetches: collect('fetch', 'inputs', 'X') };
}

function servingVar(v: VarDesc, alias: string): ServingVar {
  const isLod = (v.lodLevel ?? 0) >= 1;
  return {
    name: v.name,
    alias,
    isLodTensor: isLod,
    feedType: servingTypeCode(v.dtype),
    // Paddle Serving keeps only known dims (drops the -1 batch dim); LoD tensors get [-1].
    shape: isLod ? [-1] : (v.shape ?? []).filter((d) => d >= 0),
  };
}

/**
 * The GeneralModelConfig paddle_serving_client.convert writes for `program`: feeds in feed order, fetches sorted by
 * name (save_model iterates sorted(fetch_var_dict)), aliases default to the variable names.
 */
export function configFromProgram(
  program: ProgramDesc,
  o: { feedAlias?: string[]; fetchAlias?: string[]; file?: string } = {},
): GeneralModelConfig {
  const file = o.file ?? '<program>';
  const { feeds, fetches } = feedFetchTargets(program);
  if (feeds.length === 0) throw new ModelFormatError(file, 'the program has no feed ops (not an inference model?)');
  if (fetches.length === 0) throw new ModelFormatError(file, 'the program has no fetch ops (not an inference model?)');
  const sortedFetches = [...fetches].sort();
  if (o.feedAlias && o.feedAlias.length !== feeds.length) {
    throw new Error(`--feed_alias has ${o.feedAlias.length} name(s) but the model has ${feeds.length} feed var(s): ${feeds.join(', ')}`);
  }
  if (o.fetchAlias && o.fetchAlias.length !== fetches.length) {
    throw new Error(`--fetch_alias has ${o.fetchAlias.length} name(s) but the model has ${fetches.length} fetch var(s): ${sortedFetches.join(', ')}`);
  }
  const vars = new Map(program.blocks[0]!.vars.map((v) => [v.name, v]));
  const lookup = (name: string): VarDesc => {
    const v = vars.get(name);
    if (!v || v.type !== VarTypeCode.LOD_TENSOR) throw new ModelFormatError(file, `feed/fetch variable ${name} is not declared as a tensor in block 0`);
    return v;
  };
  return {
    feeds: feeds.map((n, i) => servingVar(lookup(n), o.feedAlias?.[i] ?? n)),
    fetches: sortedFetches.map((n, i) => servingVar(lookup(n), o.fetchAlias?.[i] ?? n)),
  };
}

// ---- text format ----

function varText(kind: 'feed_var' | 'fetch_var', v: ServingVar): string {
  let s = `${kind} {\n`;
  s += `  name: "${cEscape(v.name)}"\n`;
  s += `  alias_name: "${cEscape(v.alias)}"\n`;
  s += `  is_lod_tensor: ${v.isLodTensor ? 'true' : 'false'}\n`;
  s += `  ${kind === 'feed_var' ? 'feed_type' : 'fetch_type'}: ${v.feedType}\n`;
  for (const d of v.shape) s += `  shape: ${d}\n`;
  return s + '}\n';
}

/** serving_*_conf.prototxt: `str(config)` of the Python message. */
export function formatConfigText(c: GeneralModelConfig): string {
  return c.feeds.map((v) => varText('feed_var', v)).join('') + c.fetches.map((v) => varText('fetch_var', v)).join('');
}

type TextValue = string | number | boolean | TextMessage;
interface TextMessage {
  fields: { key: string; value: TextValue; line: number }[];
}

/** A small protobuf text-format reader (fields, nested messages, strings, numbers, booleans, # comments). */
function parseText(text: string, file: string): TextMessage {
  let pos = 0;
  let line = 1;
  const fail = (msg: string): never => {
    throw new ModelFormatError(file, `line ${line}: ${msg}`);
  };
  const skip = (): void => {
    while (pos < text.length) {
      const c = text[pos]!;
      if (c === '\n') {
        line++;
        pos++;
      } else if (c === ' ' || c === '\t' || c === '\r' || c === ',' || c === ';') pos++;
      else if (c === '#') while (pos < text.length && text[pos] !== '\n') pos++;
      else break;
    }
  };
  const ident = (): string => {
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(pos, pos + 256));
    if (!m) fail(`expected a field name at "${text.slice(pos, pos + 20)}"`);
    pos += m![0].length;
    return m![0];
  };
  const str = (): string => {
    const bytes: number[] = [];
    while (text[pos] === '"' || text[pos] === "'") {
      const q = text[pos++];
      while (pos < text.length && text[pos] !== q) {
        const c = text[pos++]!;
        if (c === '\n') fail('unterminated string');
        if (c !== '\\') {
          bytes.push(...Buffer.from(c, 'utf8'));
          continue;
        }
        const e = text[pos++];
        const simple: Record<string, number> = { n: 10, r: 13, t: 9, '"': 34, "'": 39, '\\': 92, a: 7, b: 8, f: 12, v: 11, '?': 63 };
        if (e !== undefined && e in simple) bytes.push(simple[e]!);
        else if (e !== undefined && /[0-7]/.test(e)) {
          let oct = e;
          while (oct.length < 3 && /[0-7]/.test(text[pos] ?? '')) oct += text[pos++];
          bytes.push(parseInt(oct, 8) & 0xff);
        } else if (e === 'x') {
          let hex = '';
          while (hex.length < 2 && /[0-9a-fA-F]/.test(text[pos] ?? '')) hex += text[pos++];
          bytes.push(parseInt(hex, 16));
        } else fail(`bad escape \\${e}`);
      }
      if (text[pos] !== q) fail('unterminated string');
      pos++;
      skip();
    }
    return Buffer.from(bytes).toString('utf8');
  };
  const message = (close: string | undefined): TextMessage => {
    const msg: TextMessage = { fields: [] };
    for (;;) {
      skip();
      if (pos >= text.length) {
        if (close) fail(`missing "${close}"`);
        return msg;
      }
      if (close && text[pos] === close) {
        pos++;
        return msg;
      }
      const fieldLine = line;
      const key = ident();
      skip();
      let value: TextValue;
      if (text[pos] === ':') {
        pos++;
        skip();
      }
      const c = text[pos];
      if (c === '{' || c === '<') {
        pos++;
        value = message(c === '{' ? '}' : '>');
      } else if (c === '"' || c === "'") value = str();
      else {
        const m = /^[-+]?[A-Za-z0-9_.]+/.exec(text.slice(pos, pos + 64));
        if (!m) fail(`expected a value for ${key}`);
        pos += m![0].length;
        const tok = m![0];
        if (/^(true|True|t)$/.test(tok)) value = true;
        else if (/^(false|False|f)$/.test(tok)) value = false;
        else if (/^[-+]?(0x[0-9a-fA-F]+|\d+)$/.test(tok)) value = Number(tok);
        else fail(`unexpected value "${tok}" for ${key}`);
      }
      msg.fields.push({ key, value: value!, line: fieldLine });
    }
  };
  return message(undefined);
}

function varFromText(m: TextMessage, kind: 'feed_var' | 'fetch_var', file: string): ServingVar {
  const v: ServingVar = { name: '', alias: '', isLodTensor: false, feedType: 0, shape: [] };
  const typeKey = kind === 'feed_var' ? 'feed_type' : 'fetch_type';
  for (const f of m.fields) {
    const bad = (want: string): never => {
      throw new ModelFormatError(file, `line ${f.line}: ${kind}.${f.key} must be ${want}`);
    };
    switch (f.key) {
      case 'name':
        if (typeof f.value !== 'string') bad('a string');
        v.name = f.value as string;
        break;
      case 'alias_name':
        if (typeof f.value !== 'string') bad('a string');
        v.alias = f.value as string;
        break;
      case 'is_lod_tensor':
        if (typeof f.value === 'boolean') v.isLodTensor = f.value;
        else if (f.value === 0 || f.value === 1) v.isLodTensor = f.value === 1;
        else bad('true or false');
        break;
      case typeKey:
        if (typeof f.value !== 'number') bad('an integer');
        v.feedType = f.value as number;
        break;
      case 'shape':
        if (typeof f.value !== 'number') bad('an integer');
        v.shape.push(f.value as number);
        break;
      default:
        throw new ModelFormatError(file, `line ${f.line}: unknown field ${kind}.${f.key}`);
    }
  }
  if (!v.name) throw new ModelFormatError(file, `a ${kind} has no name`);
  if (!v.alias) v.alias = v.name;
  return v;
}

/** Parse serving_*_conf.prototxt (text format). */
export function parseConfigText(text: string, file = '<prototxt>'): GeneralModelConfig {
  const root = parseText(text, file);
  const c: GeneralModelConfig = { feeds: [], fetches: [] };
  for (const f of root.fields) {
    if (f.key === 'graph') continue; // Serving's DAG description; unused by a single-model pipeline op.
    if (f.key !== 'feed_var' && f.key !== 'fetch_var') throw new ModelFormatError(file, `line ${f.line}: unknown field ${f.key}`);
    if (typeof f.value !== 'object') throw new ModelFormatError(file, `line ${f.line}: ${f.key} must be a message { ... }`);
    (f.key === 'feed_var' ? c.feeds : c.fetches).push(varFromText(f.value, f.key, file));
  }
  return c;
}

// ---- binary (.stream.prototxt) ----

const PROTO_PATH = fileURLToPath(new URL('./proto/general_model_config.proto', import.meta.url));
let configType: protobuf.Type | undefined;
function configMessage(): protobuf.Type {
  configType ??= new protobuf.Root()
    .loadSync(PROTO_PATH, { keepCase: true })
    .lookupType('baidu.paddle_serving.configure.GeneralModelConfig');
  return configType;
}

interface PbVar {
  name?: string;
  alias_name?: string;
  is_lod_tensor?: boolean;
  feed_type?: number;
  fetch_type?: number;
  shape?: number[];
}

/** serving_*_conf.stream.prototxt: config.SerializeToString() (every field set explicitly, as save_model does). */
export function encodeConfig(c: GeneralModelConfig): Uint8Array {
  const T = configMessage();
  const obj = {
    feed_var: c.feeds.map((v) => ({ name: v.name, alias_name: v.alias, is_lod_tensor: v.isLodTensor, feed_type: v.feedType, shape: v.shape })),
    fetch_var: c.fetches.map((v) => ({ name: v.name, alias_name: v.alias, is_lod_tensor: v.isLodTensor, fetch_type: v.feedType, shape: v.shape })),
  };
  return T.encode(T.fromObject(obj)).finish();
}

export function decodeConfig(bytes: Uint8Array, file = '<stream.prototxt>'): GeneralModelConfig {
  let obj: { feed_var?: PbVar[]; fetch_var?: PbVar[] };
  try {
    const T = configMessage();
    obj = T.toObject(T.decode(bytes), { arrays: true }) as typeof obj;
  } catch (err) {
    throw new ModelFormatError(file, `not a valid GeneralModelConfig: ${(err as Error).message}`);
  }
  const conv = (v: PbVar, kind: string): ServingVar => {
    if (!v.name) throw new ModelFormatError(file, `a ${kind} has no name`);
    return {
      name: v.name,
      alias: v.alias_name || v.name,
      isLodTensor: v.is_lod_tensor ?? false,
      feedType: v.feed_type ?? v.fetch_type ?? 0,
      shape: v.shape ?? [],
    };
  };
  return { feeds: (obj.feed_var ?? []).map((v) => conv(v, 'feed_var')), fetches: (obj.fetch_var ?? []).map((v) => conv(v, 'fetch_var')) };
}
