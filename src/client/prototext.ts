// The protobuf text format of a pipeline Response as Python's `print(resp)` writes it (text_format.MessageToString,
// as_utf8=False), which is what the seed's pipeline_rpc_client.py prints: proto3 scalars at their default value are
// left out, repeated fields repeat their name, strings are C-escaped byte by byte.
import type { PipelineResponse, PipelineTensor } from '../protocol/types.ts';
import { cEscape, pyFloatRepr as reprFloat } from '../protocol/pyformat.ts';

/** float fields print as the shortest decimal that round-trips through float32; double fields as Python repr. */
function float32Text(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  const f = Math.fround(x);
  for (let p = 1; p <= 9; p++) {
    const t = Number(f.toPrecision(p));
    if (Math.fround(t) === f) return reprFloat(t);
  }
  return reprFloat(f);
}

function tensorText(t: PipelineTensor, indent: string): string[] {
  const lines: string[] = [];
  const rep = <T>(name: string, xs: readonly T[] | undefined, fmt: (x: T) => string): void => {
    for (const x of xs ?? []) lines.push(`${indent}${name}: ${fmt(x)}`);
  };
  const num = (x: number | string | bigint): string => String(x);
  rep('int64_data', t.int64_data, num);
  rep('float_data', t.float_data, float32Text);
  rep('int_data', t.int_data, num);
  rep('float64_data', t.float64_data, reprFloat);
  rep('uint32_data', t.uint32_data, num);
  rep('bool_data', t.bool_data, (b) => (b ? 'true' : 'false'));
  rep('complex64_data', t.complex64_data, float32Text);
  rep('complex128_data', t.complex128_data, reprFloat);
  rep('str_data', t.str_data, (s) => `"${cEscape(s)}"`);
  // Over JSON, bytes arrive as base64 text (protobuf's JSON mapping); over gRPC as raw bytes.
  const bytes = typeof t.byte_data === 'string' ? Buffer.from(t.byte_data, 'base64') : t.byte_data;
  if (bytes && bytes.length > 0) lines.push(`${indent}byte_data: "${cEscape(bytes)}"`);
  if (t.elem_type) lines.push(`${indent}elem_type: ${t.elem_type}`);
  rep('shape', t.shape, num);
  rep('lod', t.lod, num);
  if (t.name) lines.push(`${indent}name: "${cEscape(t.name)}"`);
  return lines;
}

/** The Response in text format, one field per line, ending with a newline (print adds one more). */
export function responseToText(r: PipelineResponse): string {
  const lines: string[] = [];
  if (r.err_no) lines.push(`err_no: ${r.err_no}`);
  if (r.err_msg) lines.push(`err_msg: "${cEscape(r.err_msg)}"`);
  for (const k of r.key) lines.push(`key: "${cEscape(k)}"`);
  for (const v of r.value) lines.push(`value: "${cEscape(v)}"`);
  for (const t of r.tensors ?? []) {
    lines.push('tensors {', ...tensorText(t, '  '), '}');
  }
  return lines.map((l) => l + '\n').join('');
}
